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
