// Privacy mask editor: rectangles as fractions of the picture, drawn with mouse or finger.
(function () {
  "use strict";
  var stage = document.getElementById("mask-stage");
  var field = document.getElementById("id_masks");
  var form = document.getElementById("mask-form");
  if (!stage || !field || !form) return;
  var masks = JSON.parse(document.getElementById("masks-initial").textContent || "[]");
  var drawing = null;

  function clamp(value) { return Math.min(1, Math.max(0, value)); }

  function fraction(event) {
    var box = stage.getBoundingClientRect();
    return { x: clamp((event.clientX - box.left) / box.width), y: clamp((event.clientY - box.top) / box.height) };
  }

  function place(element, rect) {
    element.style.left = rect.x * 100 + "%";
    element.style.top = rect.y * 100 + "%";
    element.style.width = rect.width * 100 + "%";
    element.style.height = rect.height * 100 + "%";
  }

  function render() {
    stage.querySelectorAll(".mask-rect").forEach(function (element) { element.remove(); });
    masks.forEach(function (rect, index) {
      var element = document.createElement("div");
      element.className = "mask-rect";
      element.title = "Tap to remove";
      element.dataset.index = index;
      place(element, rect);
      stage.appendChild(element);
    });
    field.value = JSON.stringify(masks);
  }

  stage.addEventListener("pointerdown", function (event) {
    if (event.target.classList.contains("mask-rect")) {
      masks.splice(Number(event.target.dataset.index), 1);
      render();
      return;
    }
    var start = fraction(event);
    var element = document.createElement("div");
    element.className = "mask-rect";
    stage.appendChild(element);
    drawing = { start: start, element: element, rect: { x: start.x, y: start.y, width: 0, height: 0 } };
    stage.setPointerCapture(event.pointerId);
  });

  stage.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var point = fraction(event);
    var rect = {
      x: Math.min(point.x, drawing.start.x), y: Math.min(point.y, drawing.start.y),
      width: Math.abs(point.x - drawing.start.x), height: Math.abs(point.y - drawing.start.y),
    };
    drawing.rect = rect;
    place(drawing.element, rect);
  });

  stage.addEventListener("pointerup", function () {
    if (!drawing) return;
    var rect = drawing.rect;
    drawing.element.remove();
    drawing = null;
    if (rect.width >= 0.01 && rect.height >= 0.01) masks.push(rect);
    render();
  });

  document.getElementById("mask-clear").addEventListener("click", function () { masks = []; render(); });
  form.addEventListener("submit", function () { field.value = JSON.stringify(masks); });
  render();
})();
