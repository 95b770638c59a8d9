import type { Box } from '../../specs/index.js';

/**
 * A named polygon in normalised frame coordinates (0-1, origin top-left), compiled once per
 * rules version into flat arrays and a bounding box so the per-object test is a few compares.
 */
export interface Zone {
  name: string;
  xs: Float64Array;
  ys: Float64Array;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** Points closer than this to an edge are on it; coordinates are fractions, so 1e-9 is far below a pixel. */
const EDGE_EPSILON = 1e-9;

export function compileZone(name: string, points: ReadonlyArray<readonly [number, number]>): Zone {
  const zone = { name, xs: new Float64Array(points.length), ys: new Float64Array(points.length), minX: 1, maxX: 0, minY: 1, maxY: 0 };
  points.forEach(([x, y], i) => {
    zone.xs[i] = x;
    zone.ys[i] = y;
    zone.minX = Math.min(zone.minX, x);
    zone.maxX = Math.max(zone.maxX, x);
    zone.minY = Math.min(zone.minY, y);
    zone.maxY = Math.max(zone.maxY, y);
  });
  return zone;
}

/** Twice the signed area (shoelace); 0 when every point lies on one line. */
export function doubledArea(points: ReadonlyArray<readonly [number, number]>): number {
  let sum = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    sum += (points[j][0] - points[i][0]) * (points[j][1] + points[i][1]);
  }
  return sum;
}

/**
 * The smallest area a zone may have, as a fraction of the frame: about one pixel of a
 * 1000x1000 frame. Coordinates are floating point, so points on one line rarely give exactly 0.
 */
export const MIN_ZONE_AREA = 1e-6;

type Point = readonly [number, number];

/** Twice the signed area of the triangle a, b, c: > 0 when c is left of a→b, 0 on its line. */
function orientation(a: Point, b: Point, c: Point): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/** Whether c, known to be on the line through a and b, lies within the segment a-b. */
function withinSegment(a: Point, b: Point, c: Point): boolean {
  return Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
}

/** Whether the segments a-b and c-d cross or touch. */
function segmentsMeet(a: Point, b: Point, c: Point, d: Point): boolean {
  const [d1, d2, d3, d4] = [orientation(c, d, a), orientation(c, d, b), orientation(a, b, c), orientation(a, b, d)];
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (
    (d1 === 0 && withinSegment(c, d, a)) ||
    (d2 === 0 && withinSegment(c, d, b)) ||
    (d3 === 0 && withinSegment(a, b, c)) ||
    (d4 === 0 && withinSegment(a, b, d))
  );
}

/** Whether every point lies within EDGE_EPSILON of the line through the first point and the one farthest from it. */
function onOneLine(points: readonly Point[]): boolean {
  const a = points[0]!;
  const b = points.reduce((far, p) => (Math.hypot(p[0] - a[0], p[1] - a[1]) > Math.hypot(far[0] - a[0], far[1] - a[1]) ? p : far), a);
  const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
  return length === 0 || points.every((p) => Math.abs(orientation(a, b, p)) / length <= EDGE_EPSILON);
}

const showPoint = (p: Point) => `[${p[0]}, ${p[1]}]`;

/**
 * Why a polygon cannot be a zone, as `vigil rules check` says it, or null: its points on one
 * line, two of its edges crossing (a bow-tie has no clear inside), or an area under MIN_ZONE_AREA.
 * Two edges are compared only when they share no corner, so a zone costs n²/2 compares
 * (the schema allows at most 100 points).
 */
export function zoneProblem(points: readonly Point[]): string | null {
  if (onOneLine(points)) return 'its points lie on one line, so nothing can be inside; give the zone an area';
  const n = points.length;
  for (let i = 0; i < n; i++) {
    // Edge i runs from point i to point i + 1; its neighbours share a corner with it.
    for (let j = i + 2; j < n && !(i === 0 && j === n - 1); j++) {
      const [a, b, c, d] = [points[i]!, points[(i + 1) % n]!, points[j]!, points[(j + 1) % n]!];
      if (segmentsMeet(a, b, c, d)) {
        return (
          `its edges ${showPoint(a)}-${showPoint(b)} and ${showPoint(c)}-${showPoint(d)} cross, so it has no clear inside; ` +
          'list the points in order around the zone'
        );
      }
    }
  }
  const area = Math.abs(doubledArea(points)) / 2;
  if (area < MIN_ZONE_AREA) {
    return `its area is ${area.toPrecision(2)} of the frame, under ${MIN_ZONE_AREA} (about one pixel), so nothing can stand in it; draw it larger`;
  }
  return null;
}

function onSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): boolean {
  const cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
  const length = Math.hypot(bx - ax, by - ay);
  if (Math.abs(cross) > EDGE_EPSILON * Math.max(length, 1)) return false;
  return (
    px >= Math.min(ax, bx) - EDGE_EPSILON &&
    px <= Math.max(ax, bx) + EDGE_EPSILON &&
    py >= Math.min(ay, by) - EDGE_EPSILON &&
    py <= Math.max(ay, by) + EDGE_EPSILON
  );
}

/**
 * Whether (x, y) is inside the zone or on its border. The border counts as inside because
 * zones are commonly drawn to the frame's edge, and a person whose feet are cut off by the
 * bottom of the frame has a bottom-centre exactly on y = 1. Inside is even-odd (ray casting).
 */
export function zoneContains(zone: Zone, x: number, y: number): boolean {
  if (x < zone.minX - EDGE_EPSILON || x > zone.maxX + EDGE_EPSILON || y < zone.minY - EDGE_EPSILON || y > zone.maxY + EDGE_EPSILON) {
    return false;
  }
  const { xs, ys } = zone;
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    if (onSegment(x, y, xs[j], ys[j], xs[i], ys[i])) return true;
    if (ys[i] > y !== ys[j] > y && x < ((xs[j] - xs[i]) * (y - ys[i])) / (ys[j] - ys[i]) + xs[i]) inside = !inside;
  }
  return inside;
}

/** The point that decides an object's zone: the bottom-centre of its box, where it stands (as Frigate does). */
export function anchorPoint(box: Box): { x: number; y: number } {
  return { x: box.x + box.w / 2, y: box.y + box.h };
}
