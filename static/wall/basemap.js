/* The map with no tile server: a plain basemap drawn here, a neutral grid of latitude and
 * longitude lines with their values, so that markers and incidents sit on something readable
 * rather than on black.
 *
 * A Leaflet GridLayer whose tiles are SVG built node by node: no request, no markup string.
 * Lines fall on round values (1, 2 or 5 times a power of ten degrees), two or so per tile,
 * so they run on unbroken from one tile to the next.
 */

const SVG = "http://www.w3.org/2000/svg";
const LABEL_WIDTH = 110; // px: "87.635° W" at the largest type a wall uses
const LABEL_HEIGHT = 24;

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attributes).forEach(([name, value]) => node.setAttribute(name, String(value)));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The round step in degrees nearest below `span`. */
function roundStep(span) {
  const power = 10 ** Math.floor(Math.log10(span));
  return [5, 2, 1].map((factor) => factor * power).find((step) => step <= span) || power;
}

function degrees(value, step, positive, negative) {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const hemisphere = value > 0 ? " " + positive : value < 0 ? " " + negative : "";
  return Math.abs(value).toFixed(digits) + "°" + hemisphere;
}

/** Values of `step` multiples in [from, to). */
function multiples(from, to, step) {
  const values = [];
  for (let n = Math.ceil(from / step); n * step < to; n += 1) values.push(n * step);
  return values;
}

export function offlineBasemap(L) {
  const Basemap = L.GridLayer.extend({
    createTile(coords) {
      const size = this.getTileSize();
      const map = this._map;
      const nw = map.unproject(coords.scaleBy(size), coords.z);
      const se = map.unproject(coords.add([1, 1]).scaleBy(size), coords.z);
      const step = roundStep((se.lng - nw.lng) / 2);
      const origin = coords.scaleBy(size);
      const tile = svg("svg", { width: size.x, height: size.y, class: "offline-tile" });
      tile.appendChild(svg("rect", { width: size.x, height: size.y, class: "offline-ground" }));
      // Values on every other row and column of tiles, and never cut by a tile's edge.
      const labelLng = coords.y % 2 === 0;
      const labelLat = coords.x % 2 === 0;
      multiples(nw.lng, se.lng, step).forEach((lng) => {
        const x = map.project([nw.lat, lng], coords.z).x - origin.x;
        tile.appendChild(svg("line", { x1: x, y1: 0, x2: x, y2: size.y, class: "offline-line" }));
        if (labelLng && x < size.x - LABEL_WIDTH) {
          tile.appendChild(svg("text", { x: x + 3, y: 18, class: "offline-label" }, degrees(lng, step, "E", "W")));
        }
      });
      multiples(se.lat, nw.lat, step).forEach((lat) => {
        const y = map.project([lat, nw.lng], coords.z).y - origin.y;
        tile.appendChild(svg("line", { x1: 0, y1: y, x2: size.x, y2: y, class: "offline-line" }));
        if (labelLat && y > LABEL_HEIGHT) {
          tile.appendChild(svg("text", { x: 3, y: y - 3, class: "offline-label" }, degrees(lat, step, "N", "S")));
        }
      });
      return tile;
    },
  });
  return new Basemap({ zIndex: 0, className: "offline-basemap", attribution: "Offline grid" });
}
