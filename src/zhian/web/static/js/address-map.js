/*
 * An address's pin on the zhian SVG map (js/map.js), the map zoomed to its surroundings.
 * Static, CSP-clean: the position comes from data- attributes of the map element.
 *
 * Markup (see places/address.html):
 *   <div class="zh-map" data-zh-map data-geojson="/api/v1/divisions/map.geojson"
 *        data-pin-lon="109.5" data-pin-lat="34.5" data-pin-name="临渭区朝阳大街12号"></div>
 *
 * The pin is a point of kind "address" in the map's point layer, so it keeps its size on
 * screen at every zoom. When drawn, the map element gets data-pin="drawn"; with no usable
 * position, data-pin="none".
 */
(function () {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  // Half the side of the box shown around the pin, in degrees (about 4 km): the map only
  // draws division boundaries, so a closer view shows nothing more than a dot on blank ground,
  // while this one keeps the nearest boundaries in sight.
  const HALF_SPAN = 0.04;

  function draw(el) {
    const ctl = window.zhMap && window.zhMap.init(el);
    const lon = parseFloat(el.getAttribute('data-pin-lon') || '');
    const lat = parseFloat(el.getAttribute('data-pin-lat') || '');
    const q = ctl && Number.isFinite(lon) && Number.isFinite(lat) ? ctl.project(lon, lat) : null;
    const layer = ctl && ctl.svg ? ctl.svg.querySelector('.zh-layer-points') : null;
    if (!q || !layer) {
      el.setAttribute('data-pin', 'none');
      return;
    }
    const name = el.getAttribute('data-pin-name') || '';
    const pin = document.createElementNS(SVG_NS, 'circle');
    pin.setAttribute('class', 'zh-point zh-point-address');
    pin.setAttribute('cx', q.x.toFixed(2));
    pin.setAttribute('cy', q.y.toFixed(2));
    pin.setAttribute('r', '1');
    pin.setAttribute('data-kind', 'address');
    pin.setAttribute('data-name', name);
    pin.setAttribute('data-testid', 'address-pin');
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = name;
    pin.appendChild(title);
    layer.replaceChildren(pin);
    // showExtent schedules a redraw, which also gives the pin its on-screen radius.
    ctl.showExtent(lon - HALF_SPAN, lat - HALF_SPAN, lon + HALF_SPAN, lat + HALF_SPAN);
    el.setAttribute('data-pin', 'drawn');
  }

  function whenReady(el) {
    // map.js sets data-ready="true" once the divisions are drawn and the projection exists.
    if (el.getAttribute('data-ready') === 'true') {
      draw(el);
      return;
    }
    const watch = new MutationObserver(() => {
      if (el.getAttribute('data-ready') === 'true') {
        watch.disconnect();
        draw(el);
      }
    });
    watch.observe(el, { attributes: true, attributeFilter: ['data-ready'] });
  }

  function initAll() {
    for (const el of document.querySelectorAll('[data-zh-map][data-pin-lon]')) whenReady(el);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
})();
