/*
 * zhian map component: a dependency-free SVG map of the divisions, for an isolated intranet
 * (no tiles, no CDN, no framework). Works under a strict CSP: no inline script, no style
 * attributes; everything is drawn with SVG elements, attributes and the classes of app.css.
 *
 * Markup:
 *   <div class="zh-map" data-zh-map data-geojson="/api/v1/divisions/map.geojson"
 *        data-points="/api/v1/...geojson" data-refresh="30"></div>
 *
 * - data-geojson: FeatureCollection of Polygon/MultiPolygon features with properties
 *   adcode, name, level ("zone" is drawn above the counties, dashed), label_lon, label_lat.
 * - data-points (optional): FeatureCollection of Point features with properties kind, name, id;
 *   drawn as <circle class="zh-point zh-point-{kind}">, reloaded every data-refresh seconds.
 *
 * When drawn, the element gets data-ready="true" and data-division-count="N". If the map data
 * cannot be loaded it gets data-ready="false", data-error="..." and a readable message.
 *
 * Events (bubbling, on the map element):
 *   zh-map-select  detail {adcode, name, level, selected}   a division was clicked
 *   zh-map-point   detail {id, kind, name}                   a point was clicked
 *   zh-map-pick    detail {lon, lat}                         the map was clicked there
 *
 * API: window.zhMap.init(el) -> controller; window.zhMap.project(lon, lat[, el]) -> {x, y}
 * in the SVG user space of that map (the first map when el is omitted), or null.
 * controller.showExtent(west, south, east, north) centres and zooms on a lon/lat box (a
 * track, a corridor); overlays go into their own <g> before the label layer.
 */
(function () {
  'use strict';

  // The SVG namespace is an identifier, never fetched.
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const UNITS_PER_DEGREE = 1000; // SVG user units per degree of latitude
  const PAD = 0.04; // fraction of the data extent kept free around it
  const MIN_ZOOM = 0.5;
  const MAX_ZOOM = 64;
  const CLICK_SLOP = 6; // px a pointer may move and still count as a click
  const LABEL_PX = 13;
  const LABEL_HALO_PX = 3;
  const POINT_RADIUS_PX = 5;
  const FETCH_TIMEOUT_MS = 20000;

  const EN = (document.documentElement.lang || '').toLowerCase().startsWith('en');
  const T = EN
    ? {
        failed: 'Map data failed to load',
        empty: 'No divisions to show',
        zoomIn: 'Zoom in',
        zoomOut: 'Zoom out',
        reset: 'Reset view',
        loading: 'Loading map…',
      }
    : {
        failed: '地图数据加载失败',
        empty: '没有可显示的辖区',
        zoomIn: '放大',
        zoomOut: '缩小',
        reset: '复位',
        loading: '地图加载中…',
      };

  const maps = new Map(); // element -> controller

  function svgEl(name, attrs) {
    const node = document.createElementNS(SVG_NS, name);
    if (attrs) {
      for (const key of Object.keys(attrs)) node.setAttribute(key, String(attrs[key]));
    }
    return node;
  }

  function htmlEl(name, className, text) {
    const node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function finite(v) {
    return typeof v === 'number' && Number.isFinite(v);
  }

  function sameOriginUrl(raw) {
    const url = new URL(raw, document.baseURI);
    if (url.origin !== window.location.origin) {
      throw new Error('not same-origin: ' + url.origin);
    }
    return url.href;
  }

  async function fetchJson(raw) {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), FETCH_TIMEOUT_MS);
    try {
      const resp = await fetch(sameOriginUrl(raw), {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/geo+json, application/json' },
        signal: ctrl.signal,
      });
      if (!resp.ok) throw new Error('HTTP ' + resp.status);
      const data = await resp.json();
      if (!data || data.type !== 'FeatureCollection' || !Array.isArray(data.features)) {
        throw new Error('not a GeoJSON FeatureCollection');
      }
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  /* Polygons of a geometry as arrays of rings ([[lon, lat], ...]); other types give []. */
  function polygonsOf(geometry) {
    if (!geometry || !Array.isArray(geometry.coordinates)) return [];
    if (geometry.type === 'Polygon') return [geometry.coordinates];
    if (geometry.type === 'MultiPolygon') return geometry.coordinates;
    return [];
  }

  function extendBbox(bbox, ring) {
    for (const p of ring) {
      if (!Array.isArray(p) || !finite(p[0]) || !finite(p[1])) continue;
      if (p[0] < bbox[0]) bbox[0] = p[0];
      if (p[1] < bbox[1]) bbox[1] = p[1];
      if (p[0] > bbox[2]) bbox[2] = p[0];
      if (p[1] > bbox[3]) bbox[3] = p[1];
    }
    return bbox;
  }

  function emptyBbox() {
    return [Infinity, Infinity, -Infinity, -Infinity];
  }

  /* Equirectangular projection around the centre of bbox, x scaled by cos(mean latitude). */
  function makeProjection(bbox) {
    const lon0 = (bbox[0] + bbox[2]) / 2;
    const lat0 = (bbox[1] + bbox[3]) / 2;
    const kx = Math.cos((lat0 * Math.PI) / 180) * UNITS_PER_DEGREE;
    const ky = UNITS_PER_DEGREE;
    return {
      project(lon, lat) {
        return { x: (lon - lon0) * kx, y: (lat0 - lat) * ky };
      },
      invert(x, y) {
        return { lon: lon0 + x / kx, lat: lat0 - y / ky };
      },
    };
  }

  function round2(v) {
    return Math.round(v * 100) / 100;
  }

  function ringPath(ring, proj) {
    let d = '';
    let lastX = NaN;
    let lastY = NaN;
    let n = 0;
    for (const p of ring) {
      if (!Array.isArray(p) || !finite(p[0]) || !finite(p[1])) continue;
      const q = proj.project(p[0], p[1]);
      const x = round2(q.x);
      const y = round2(q.y);
      if (x === lastX && y === lastY) continue;
      d += (n === 0 ? 'M' : 'L') + x + ' ' + y;
      lastX = x;
      lastY = y;
      n += 1;
    }
    return n >= 3 ? d + 'Z' : '';
  }

  /* Planar area of the outer ring, in degrees² (only compared, never shown). */
  function ringArea(ring) {
    let sum = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[j];
      const b = ring[i];
      if (!a || !b) continue;
      sum += (a[0] - b[0]) * (a[1] + b[1]);
    }
    return Math.abs(sum / 2);
  }

  function labelPosition(props, polygons) {
    if (finite(props.label_lon) && finite(props.label_lat)) {
      return [props.label_lon, props.label_lat];
    }
    let best = null;
    let bestArea = -1;
    for (const poly of polygons) {
      if (!poly || !poly[0]) continue;
      const area = ringArea(poly[0]);
      if (area > bestArea) {
        bestArea = area;
        best = poly[0];
      }
    }
    if (!best) return null;
    const b = extendBbox(emptyBbox(), best);
    if (!finite(b[0]) || !finite(b[2])) return null;
    return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  }

  function cssToken(value) {
    return String(value == null ? '' : value)
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '');
  }

  function init(el) {
    if (!(el instanceof Element)) throw new TypeError('zhMap.init needs an element');
    if (maps.has(el)) return maps.get(el);

    const state = {
      el,
      svg: null,
      proj: null,
      bbox: null, // projected [minX, minY, maxX, maxY] of the divisions
      cx: 0,
      cy: 0,
      zoom: 1,
      fitUpp: 1, // user units per CSS px at zoom 1
      vb: [0, 0, 1, 1],
      selected: null,
      pointsTimer: 0,
      frame: 0,
      layers: {},
      labels: [], // {node, x, y, w, h (division bbox, user units), em (text width in em)}
      labelUpp: NaN, // scale (user units per px) the labels were last decluttered for
    };

    const controller = {
      el,
      get svg() {
        return state.svg;
      },
      project(lon, lat) {
        return state.proj ? state.proj.project(lon, lat) : null;
      },
      invert(x, y) {
        return state.proj ? state.proj.invert(x, y) : null;
      },
      zoomBy(factor) {
        zoomAround(factor, state.cx, state.cy);
      },
      reset,
      reloadPoints: loadPoints,
      showExtent(west, south, east, north) {
        if (!state.proj || ![west, south, east, north].every(finite)) return;
        const a = state.proj.project(west, north);
        const b = state.proj.project(east, south);
        const [w, h] = viewportSize();
        const need = Math.max(((b.x - a.x) * (1 + 2 * PAD)) / w, ((b.y - a.y) * (1 + 2 * PAD)) / h);
        state.zoom = Math.min(Math.max(need ? state.fitUpp / need : MAX_ZOOM, MIN_ZOOM), MAX_ZOOM);
        state.cx = (a.x + b.x) / 2;
        state.cy = (a.y + b.y) / 2;
        clampCentre();
        schedule();
      },
    };
    maps.set(el, controller);

    el.setAttribute('data-ready', 'false');
    el.removeAttribute('data-error');
    const status = htmlEl('p', 'zh-map-message', T.loading);
    status.setAttribute('role', 'status');
    el.replaceChildren(status);

    // ---- view -------------------------------------------------------------------------

    function viewportSize() {
      for (const box of [state.svg, el]) {
        const r = box ? box.getBoundingClientRect() : null;
        if (r && r.width > 0 && r.height > 0) return [r.width, r.height];
      }
      return [800, 600]; // not laid out (hidden): fitted again when the observer sees a size
    }

    function fit() {
      const [w, h] = viewportSize();
      const b = state.bbox;
      const bw = (b[2] - b[0]) * (1 + 2 * PAD) || 1;
      const bh = (b[3] - b[1]) * (1 + 2 * PAD) || 1;
      state.fitUpp = Math.max(bw / w, bh / h);
    }

    function clampCentre() {
      const b = state.bbox;
      state.cx = Math.min(Math.max(state.cx, b[0]), b[2]);
      state.cy = Math.min(Math.max(state.cy, b[1]), b[3]);
    }

    function render() {
      state.frame = 0;
      const [w, h] = viewportSize();
      const upp = state.fitUpp / state.zoom;
      const vw = w * upp;
      const vh = h * upp;
      state.vb = [state.cx - vw / 2, state.cy - vh / 2, vw, vh];
      state.svg.setAttribute('viewBox', state.vb.map((v) => +v.toFixed(3)).join(' '));
      // Keep labels and points the same size on screen whatever the zoom.
      state.layers.labels.setAttribute('font-size', +(LABEL_PX * upp).toFixed(4));
      state.layers.labels.setAttribute('stroke-width', +(LABEL_HALO_PX * upp).toFixed(4));
      const r = +(POINT_RADIUS_PX * upp).toFixed(4);
      for (const c of state.layers.points.children) c.setAttribute('r', r);
      if (state.labelUpp !== upp) declutter(upp);
    }

    /*
     * Show a label only if its division is wide enough on screen to hold it and it does not
     * overlap a label already shown; counties before zones, larger divisions first.
     */
    function declutter(upp) {
      state.labelUpp = upp;
      const shown = [];
      for (const l of state.labels) {
        if (!l.em) {
          const fs = parseFloat(state.layers.labels.getAttribute('font-size')) || 1;
          try {
            l.em = l.node.getBBox().width / fs || l.chars;
          } catch (_) {
            l.em = l.chars;
          }
        }
        const w = l.em * LABEL_PX;
        const h = LABEL_PX * 1.25;
        const x = l.x / upp;
        const y = l.y / upp;
        let ok = l.w / upp >= w * 0.8 && l.h / upp >= h;
        for (const o of shown) {
          if (!ok) break;
          if (Math.abs(x - o.x) < (w + o.w) / 2 + 2 && Math.abs(y - o.y) < (h + o.h) / 2) {
            ok = false;
          }
        }
        if (ok) shown.push({ x, y, w, h });
        l.node.setAttribute('visibility', ok ? 'visible' : 'hidden');
      }
    }

    function schedule() {
      if (!state.frame) state.frame = requestAnimationFrame(render);
    }

    function reset() {
      if (!state.bbox) return;
      state.cx = (state.bbox[0] + state.bbox[2]) / 2;
      state.cy = (state.bbox[1] + state.bbox[3]) / 2;
      state.zoom = 1;
      schedule();
    }

    /* Zoom by factor keeping the user-space point (ux, uy) where it is on screen. */
    function zoomAround(factor, ux, uy) {
      if (!state.bbox) return;
      const next = Math.min(Math.max(state.zoom * factor, MIN_ZOOM), MAX_ZOOM);
      const f = next / state.zoom;
      if (f === 1) return;
      state.cx = ux + (state.cx - ux) / f;
      state.cy = uy + (state.cy - uy) / f;
      state.zoom = next;
      clampCentre();
      schedule();
    }

    function panPx(dx, dy) {
      const upp = state.fitUpp / state.zoom;
      state.cx -= dx * upp;
      state.cy -= dy * upp;
      clampCentre();
      schedule();
    }

    // ---- selection ----------------------------------------------------------------------

    function select(path) {
      const was = path.classList.contains('zh-selected');
      if (state.selected && state.selected !== path) {
        state.selected.classList.remove('zh-selected');
      }
      path.classList.toggle('zh-selected', !was);
      state.selected = was ? null : path;
      el.dispatchEvent(
        new CustomEvent('zh-map-select', {
          bubbles: true,
          detail: {
            adcode: path.getAttribute('data-adcode'),
            name: path.getAttribute('data-name'),
            level: path.getAttribute('data-level'),
            selected: !was,
          },
        })
      );
    }

    function activate(target) {
      if (!(target instanceof Element)) return;
      const point = target.closest('.zh-point');
      if (point) {
        el.dispatchEvent(
          new CustomEvent('zh-map-point', {
            bubbles: true,
            detail: {
              id: point.getAttribute('data-id'),
              kind: point.getAttribute('data-kind'),
              name: point.getAttribute('data-name'),
            },
          })
        );
        return;
      }
      const path = target.closest('.zh-division');
      if (path) select(path);
    }

    /* A click anywhere on the map, as the lon/lat under the pointer (a form picks a place). */
    function pick(clientX, clientY) {
      if (!state.proj || !state.svg) return;
      const u = toUserAfterPan(clientX, clientY);
      const at = state.proj.invert(u.x, u.y);
      el.dispatchEvent(new CustomEvent('zh-map-pick', { bubbles: true, detail: at }));
    }

    // ---- interaction --------------------------------------------------------------------

    const pointers = new Map(); // pointerId -> {x, y}
    let gesture = null; // {target, x, y, moved}

    function pinchInfo() {
      const [a, b] = [...pointers.values()];
      return {
        mx: (a.x + b.x) / 2,
        my: (a.y + b.y) / 2,
        dist: Math.hypot(a.x - b.x, a.y - b.y) || 1,
      };
    }

    function onPointerDown(e) {
      if (e.pointerType === 'mouse' && e.button !== 0) return;
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      try {
        state.svg.setPointerCapture(e.pointerId);
      } catch (_) {
        /* the pointer may already be gone */
      }
      if (pointers.size === 1) {
        gesture = { target: e.target, x: e.clientX, y: e.clientY, moved: false };
      } else if (gesture) {
        gesture.moved = true; // a second finger: never a click
      }
      el.classList.add('zh-map-dragging');
    }

    function onPointerMove(e) {
      const prev = pointers.get(e.pointerId);
      if (!prev) return;
      e.preventDefault();
      if (pointers.size >= 2) {
        const before = pinchInfo();
        pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
        const after = pinchInfo();
        panPx(after.mx - before.mx, after.my - before.my);
        const u = toUserAfterPan(after.mx, after.my);
        zoomAround(after.dist / before.dist, u.x, u.y);
        return;
      }
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (gesture && !gesture.moved) {
        if (Math.hypot(e.clientX - gesture.x, e.clientY - gesture.y) < CLICK_SLOP) return;
        gesture.moved = true;
        panPx(e.clientX - gesture.x, e.clientY - gesture.y);
        return;
      }
      panPx(e.clientX - prev.x, e.clientY - prev.y);
    }

    /* Client point to user space using the pending centre (the viewBox lags one frame). */
    function toUserAfterPan(clientX, clientY) {
      const rect = state.svg.getBoundingClientRect();
      const upp = state.fitUpp / state.zoom;
      return {
        x: state.cx + (clientX - rect.left - rect.width / 2) * upp,
        y: state.cy + (clientY - rect.top - rect.height / 2) * upp,
      };
    }

    function onPointerUp(e) {
      if (!pointers.delete(e.pointerId)) return;
      if (pointers.size === 0) {
        el.classList.remove('zh-map-dragging');
        if (e.type === 'pointerup' && gesture && !gesture.moved) {
          activate(gesture.target);
          pick(e.clientX, e.clientY);
        }
        gesture = null;
      }
    }

    function onWheel(e) {
      if (!state.bbox) return;
      e.preventDefault();
      let dy = e.deltaY;
      if (e.deltaMode === 1) dy *= 16;
      else if (e.deltaMode === 2) dy *= viewportSize()[1];
      const factor = Math.exp(-Math.max(-300, Math.min(300, dy)) * 0.002);
      const u = toUserAfterPan(e.clientX, e.clientY);
      zoomAround(factor, u.x, u.y);
    }

    function onKey(e) {
      if (e.target !== state.svg) return;
      const step = 80;
      switch (e.key) {
        case 'ArrowLeft':
          panPx(step, 0);
          break;
        case 'ArrowRight':
          panPx(-step, 0);
          break;
        case 'ArrowUp':
          panPx(0, step);
          break;
        case 'ArrowDown':
          panPx(0, -step);
          break;
        case '+':
        case '=':
          controller.zoomBy(1.5);
          break;
        case '-':
        case '_':
          controller.zoomBy(1 / 1.5);
          break;
        case '0':
          reset();
          break;
        default:
          return;
      }
      e.preventDefault();
    }

    function addControls() {
      const box = htmlEl('div', 'zh-map-controls');
      const specs = [
        ['zh-map-zoom-in', '+', T.zoomIn, () => controller.zoomBy(1.5)],
        ['zh-map-zoom-out', '\u2212', T.zoomOut, () => controller.zoomBy(1 / 1.5)],
        ['zh-map-reset', '\u27f2', T.reset, reset],
      ];
      for (const [cls, text, label, action] of specs) {
        const b = htmlEl('button', cls, text);
        b.type = 'button';
        b.title = label;
        b.setAttribute('aria-label', label);
        b.addEventListener('click', action);
        box.appendChild(b);
      }
      el.appendChild(box);
    }

    // ---- drawing ------------------------------------------------------------------------

    function draw(collection) {
      let bboxLL = emptyBbox();
      const items = [];
      for (const f of collection.features) {
        if (!f || f.type !== 'Feature') continue;
        const polygons = polygonsOf(f.geometry);
        if (!polygons.length) continue;
        for (const poly of polygons) if (poly && poly[0]) bboxLL = extendBbox(bboxLL, poly[0]);
        items.push({ props: f.properties || {}, polygons });
      }
      if (!items.length || !finite(bboxLL[0]) || !finite(bboxLL[2])) {
        el.replaceChildren(htmlEl('p', 'zh-map-message', T.empty));
        el.setAttribute('data-division-count', '0');
        el.setAttribute('data-ready', 'true');
        return;
      }

      state.proj = makeProjection(bboxLL);
      const lo = state.proj.project(bboxLL[0], bboxLL[3]);
      const hi = state.proj.project(bboxLL[2], bboxLL[1]);
      state.bbox = [lo.x, lo.y, hi.x, hi.y];

      const svg = svgEl('svg', {
        class: 'zh-map-svg',
        preserveAspectRatio: 'xMidYMid meet',
        tabindex: '0',
      });
      const layers = {
        divisions: svgEl('g', { class: 'zh-layer-divisions' }),
        zones: svgEl('g', { class: 'zh-layer-zones' }),
        labels: svgEl('g', { class: 'zh-layer-labels' }),
        points: svgEl('g', { class: 'zh-layer-points' }),
      };
      svg.append(layers.divisions, layers.zones, layers.labels, layers.points);
      state.svg = svg;
      state.layers = layers;

      let count = 0;
      for (const { props, polygons } of items) {
        const d = polygons.map((poly) => poly.map((ring) => ringPath(ring, state.proj)).join('')).join('');
        if (!d) continue;
        const isZone = props.level === 'zone';
        const name = props.name == null ? '' : String(props.name);
        const adcode = props.adcode == null ? '' : String(props.adcode);
        const path = svgEl('path', {
          class: isZone ? 'zh-division zh-zone' : 'zh-division',
          d,
          'fill-rule': 'evenodd',
          'data-adcode': adcode,
          'data-level': props.level == null ? '' : String(props.level),
          'data-name': name,
        });
        const title = svgEl('title');
        title.textContent = name || adcode;
        path.appendChild(title);
        (isZone ? layers.zones : layers.divisions).appendChild(path);
        count += 1;

        const at = name ? labelPosition(props, polygons) : null;
        if (at) {
          const q = state.proj.project(at[0], at[1]);
          const text = svgEl('text', {
            class: isZone ? 'zh-division-label zh-zone-label' : 'zh-division-label',
            x: round2(q.x),
            y: round2(q.y),
            'data-adcode': adcode,
          });
          text.textContent = name;
          layers.labels.appendChild(text);
          const b = emptyBbox();
          for (const poly of polygons) if (poly && poly[0]) extendBbox(b, poly[0]);
          const p0 = state.proj.project(b[0], b[3]);
          const p1 = state.proj.project(b[2], b[1]);
          state.labels.push({
            node: text,
            x: q.x,
            y: q.y,
            w: p1.x - p0.x,
            h: p1.y - p0.y,
            zone: isZone,
            chars: name.length,
            em: 0,
          });
        }
      }

      state.labels.sort((a, b) => a.zone - b.zone || b.w * b.h - a.w * a.h);
      el.replaceChildren(svg);
      addControls();
      fit();
      reset();
      render();

      svg.addEventListener('pointerdown', onPointerDown);
      svg.addEventListener('pointermove', onPointerMove);
      svg.addEventListener('pointerup', onPointerUp);
      svg.addEventListener('pointercancel', onPointerUp);
      svg.addEventListener('wheel', onWheel, { passive: false });
      svg.addEventListener('keydown', onKey);
      if (typeof ResizeObserver === 'function') {
        new ResizeObserver(() => {
          fit();
          schedule();
        }).observe(svg);
      }

      el.setAttribute('data-division-count', String(count));
      el.setAttribute('data-ready', 'true');
    }

    function fail(err) {
      el.replaceChildren(htmlEl('p', 'zh-map-message zh-map-error', T.failed));
      el.firstChild.setAttribute('role', 'alert');
      el.setAttribute('data-ready', 'false');
      el.setAttribute('data-error', String((err && err.message) || err).slice(0, 200));
    }

    // ---- points -------------------------------------------------------------------------

    function drawPoints(collection) {
      const upp = state.fitUpp / state.zoom;
      const frag = document.createDocumentFragment();
      for (const f of collection.features) {
        const g = f && f.geometry;
        if (!g || g.type !== 'Point' || !Array.isArray(g.coordinates)) continue;
        const [lon, lat] = g.coordinates;
        if (!finite(lon) || !finite(lat)) continue;
        const props = f.properties || {};
        const kind = cssToken(props.kind) || 'default';
        const q = state.proj.project(lon, lat);
        const id = props.id != null ? props.id : f.id;
        const name = props.name == null ? '' : String(props.name);
        const c = svgEl('circle', {
          class: 'zh-point zh-point-' + kind,
          cx: round2(q.x),
          cy: round2(q.y),
          r: +(POINT_RADIUS_PX * upp).toFixed(4),
          'data-kind': kind,
          'data-id': id == null ? '' : String(id),
          'data-name': name,
        });
        if (name) {
          const t = svgEl('title');
          t.textContent = name;
          c.appendChild(t);
        }
        frag.appendChild(c);
      }
      state.layers.points.replaceChildren(frag);
      el.setAttribute('data-point-count', String(state.layers.points.childElementCount));
    }

    async function loadPoints() {
      const url = el.getAttribute('data-points');
      if (!url || !state.proj) return;
      clearTimeout(state.pointsTimer);
      if (!document.hidden) {
        try {
          drawPoints(await fetchJson(url));
          el.removeAttribute('data-points-error');
        } catch (err) {
          el.setAttribute('data-points-error', String((err && err.message) || err).slice(0, 200));
          console.warn('zhMap: points not loaded from', url, err);
        }
      }
      const every = parseFloat(el.getAttribute('data-refresh') || '');
      if (finite(every) && every > 0) {
        state.pointsTimer = setTimeout(loadPoints, Math.max(2, every) * 1000);
      }
    }

    // ---- start --------------------------------------------------------------------------

    const src = el.getAttribute('data-geojson');
    if (!src) {
      fail(new Error('no data-geojson'));
    } else {
      fetchJson(src)
        .then((data) => {
          draw(data);
          return loadPoints();
        })
        .catch(fail);
    }
    return controller;
  }

  function project(lon, lat, el) {
    const ctl = el ? maps.get(el) : maps.values().next().value;
    return ctl ? ctl.project(lon, lat) : null;
  }

  window.zhMap = { init, project };

  function initAll() {
    for (const el of document.querySelectorAll('[data-zh-map]')) init(el);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
})();
