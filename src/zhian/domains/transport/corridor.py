"""Route corridors and no-go areas as geometry: parsing, buffering in metres, distances.

Pure functions, no database. A corridor is a WGS-84 LineString buffered by ``width_m`` on
each side of the centreline (the band is ``2 * width_m`` wide). The buffer is computed in a
transverse Mercator projection centred on Weinan (scale error < 0.1 % across the city), then
projected back, so the stored and tested polygon is WGS-84.

Parsers raise ``InvalidInput`` naming the field, so the API answers 422.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import shapely
from shapely.geometry import LineString, Point, Polygon, mapping, shape

from zhian.core.errors import InvalidInput
from zhian.core.geo import geometry_to_local as to_local
from zhian.core.geo import geometry_to_wgs84 as to_wgs84

MAX_VERTICES = 20_000
MAX_WIDTH_M = 5_000.0


def _check_lonlat(coords: list[tuple[float, float]], field: str) -> None:
    for lon, lat in coords:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise InvalidInput(f"坐标超出范围：{lon},{lat}", field=field)


def _line(coords: list[tuple[float, float]], field: str) -> LineString:
    if len(coords) < 2:
        raise InvalidInput("路线至少需要两个点", field=field)
    if len(coords) > MAX_VERTICES:
        raise InvalidInput(f"路线点数不能超过 {MAX_VERTICES}", field=field)
    _check_lonlat(coords, field)
    line = LineString(coords)
    if line.length == 0:
        raise InvalidInput("路线长度为零", field=field)
    return line


def parse_geojson_line(value: Any, field: str = "corridor") -> LineString:
    """A GeoJSON LineString (a dict, a Feature wrapping one, or JSON text), WGS-84."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput("不是有效的 GeoJSON", field=field) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") != "LineString":
        raise InvalidInput("须为 GeoJSON LineString", field=field)
    raw = value.get("coordinates")
    if not isinstance(raw, list):
        raise InvalidInput("缺少坐标 coordinates", field=field)
    coords: list[tuple[float, float]] = []
    for point in raw:
        if (
            not isinstance(point, list | tuple)
            or len(point) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in point[:2])
        ):
            raise InvalidInput("坐标须为 [经度, 纬度]", field=field)
        coords.append((float(point[0]), float(point[1])))
    return _line(coords, field)


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_gpx_line(text: str, field: str = "corridor_gpx") -> LineString:
    """The track points (``trkpt``) of a GPX document, or its route points (``rtept``)."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InvalidInput("GPX 不允许 DOCTYPE 或实体声明", field=field)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InvalidInput(f"GPX 无法解析：{exc}", field=field) from None
    if _local_name(root.tag) != "gpx":
        raise InvalidInput("根元素须为 <gpx>", field=field)
    for wanted in ("trkpt", "rtept"):
        points = [el for el in root.iter() if _local_name(el.tag) == wanted]
        if points:
            break
    else:
        raise InvalidInput("GPX 中没有 trkpt 或 rtept 点", field=field)
    coords: list[tuple[float, float]] = []
    for el in points:
        try:
            coords.append((float(el.attrib["lon"]), float(el.attrib["lat"])))
        except (KeyError, ValueError):
            raise InvalidInput(f"{wanted} 缺少有效的 lat/lon 属性", field=field) from None
    return _line(coords, field)


def parse_geojson_polygon(value: Any, field: str = "area") -> Polygon:
    """A GeoJSON Polygon (a dict, a Feature wrapping one, or JSON text), WGS-84, valid."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput("不是有效的 GeoJSON", field=field) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") != "Polygon":
        raise InvalidInput("须为 GeoJSON Polygon", field=field)
    try:
        poly = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError):
        raise InvalidInput("多边形坐标无效", field=field) from None
    if not isinstance(poly, Polygon) or poly.is_empty or poly.area == 0:
        raise InvalidInput("多边形为空", field=field)
    _check_lonlat([(x, y) for x, y, *_ in poly.exterior.coords], field)
    if not poly.is_valid:
        raise InvalidInput("多边形自相交或无效", field=field)
    return poly


def buffer_corridor(line: LineString, width_m: float) -> Polygon:
    """The WGS-84 polygon of all points at most ``width_m`` metres from the centreline."""
    if not 0 < width_m <= MAX_WIDTH_M:
        raise InvalidInput(f"走廊宽度须在 0 到 {MAX_WIDTH_M:g} 米之间", field="corridor_width_m")
    band = to_local(line).buffer(width_m, quad_segs=8)
    poly = to_wgs84(band)
    assert isinstance(poly, Polygon)
    return poly


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres between two WGS-84 (lon, lat) points, in the local projection."""
    pa, pb = to_local(Point(a)), to_local(Point(b))
    return float(pa.distance(pb))


def line_json(line: LineString) -> str:
    """The GeoJSON text of a line, as stored."""
    return json.dumps(mapping(line), separators=(",", ":"))


def polygon_json(poly: Polygon) -> str:
    """The GeoJSON text of a polygon, as stored."""
    return json.dumps(mapping(poly), separators=(",", ":"))


def load(text: str) -> Any:
    """A stored GeoJSON text back as a Shapely geometry."""
    return shape(json.loads(text))


def prepared(geom: Any) -> Any:
    """The geometry prepared for fast repeated point tests (in place), returned."""
    shapely.prepare(geom)
    return geom
