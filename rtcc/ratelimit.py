"""Fixed-window counters in the cache, for limits on actions that send mail or guess secrets."""

from django.core.cache import cache


def count_hit(key: str, window_s: int) -> int:
    """Count one more hit on `key` and return how many it has in the current window."""
    cache_key = f"ratelimit:{key}"
    cache.add(cache_key, 0, window_s)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window ended between add and incr
        cache.set(cache_key, 1, window_s)
        return 1


def over_limit(key: str, limit: int, window_s: int) -> bool:
    """Count a hit; True once `key` has had more than `limit` hits in the window."""
    return count_hit(key, window_s) > limit


def reset(key: str) -> None:
    cache.delete(f"ratelimit:{key}")


def hits(key: str) -> int:
    """How many hits `key` has in the current window, without counting one."""
    return cache.get(f"ratelimit:{key}") or 0
