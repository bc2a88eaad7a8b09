// Point picker for camera registration: Leaflet when it loaded, the typed coordinates always.
(function () {
  "use strict";
  var lat = document.getElementById("id_lat");
  var lon = document.getElementById("id_lon");
  var box = document.getElementById("point-map");
  var locate = document.getElementById("use-location");
  if (!lat || !lon) return;
  var marker = null;
  var map = null;

  function setPoint(latitude, longitude, pan) {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    if (!map) return;
    if (marker) marker.setLatLng([latitude, longitude]);
    else marker = window.L.marker([latitude, longitude]).addTo(map);
    if (pan) map.setView([latitude, longitude], Math.max(map.getZoom(), 16));
  }

  if (window.L && box) {
    box.hidden = false;
    var centre = JSON.parse(box.dataset.centre || "[0, 0]");
    map = window.L.map(box).setView(centre, 13);
    window.L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
    map.on("click", function (event) { setPoint(event.latlng.lat, event.latlng.lng, false); });
    if (lat.value && lon.value) setPoint(parseFloat(lat.value), parseFloat(lon.value), true);
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () {
        var a = parseFloat(lat.value), b = parseFloat(lon.value);
        if (isFinite(a) && isFinite(b)) setPoint(a, b, true);
      });
    });
  }
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        setPoint(position.coords.latitude, position.coords.longitude, true);
      });
    });
  }
})();
