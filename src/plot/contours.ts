/**
 * Iso-lines of a function sampled on a grid, for the static rendering of Plotly contour traces (vega
 * cannot draw Plotly's contours, and Vega-Lite has no contour mark).
 *
 * Marching squares: for each grid cell, the level crosses an edge where its two corner values lie on
 * either side of it (`z >= level` differs); the crossing point is interpolated linearly along the edge,
 * and the cell's crossings are joined in pairs. A saddle cell (all four edges crossed) is resolved by the
 * mean of its corners, the value at the cell's centre: the corners on the centre's side stay connected.
 * Cells with a non-finite corner are skipped. Segments are then chained through their shared edge
 * crossings into polylines: open ones end on the grid border (or next to a skipped cell), closed ones
 * repeat their first point at the end.
 */

/** A polyline of [x, y] points. */
export type Polyline = Array<[number, number]>;

/**
 * The iso-lines of `z` at `level`, where `z[i][j]` is the value at (`x[j]`, `y[i]`): rows follow y,
 * columns follow x, as in Plotly's contour and heatmap traces.
 */
export function isolines(x: readonly number[], y: readonly number[], z: ReadonlyArray<readonly number[]>, level: number): Polyline[] {
  const rows = y.length;
  const cols = x.length;
  if (rows < 2 || cols < 2) throw new Error(`isolines: the grid needs at least 2 x 2 points, got ${cols} x ${rows}`);
  if (z.length !== rows || z.some((row) => row.length !== cols)) {
    throw new Error(`isolines: z must have ${rows} rows (one per y) of ${cols} values (one per x)`);
  }
  // an edge crossing is named by its edge: 2·(i·cols + j) for the edge (i, j)–(i, j+1), +1 for (i, j)–(i+1, j)
  const along = (i: number, j: number) => 2 * (i * cols + j);
  const across = (i: number, j: number) => 2 * (i * cols + j) + 1;
  const points = new Map<number, [number, number]>();
  const links = new Map<number, number[]>();
  const above = (i: number, j: number) => z[i][j] >= level;

  const crossing = (id: number): void => {
    if (points.has(id)) return;
    const node = id >> 1;
    const i = Math.floor(node / cols);
    const j = node % cols;
    const [i2, j2] = id % 2 === 0 ? [i, j + 1] : [i + 1, j];
    const t = (level - z[i][j]) / (z[i2][j2] - z[i][j]);
    points.set(id, [x[j] + t * (x[j2] - x[j]), y[i] + t * (y[i2] - y[i])]);
  };
  const link = (a: number, b: number): void => {
    crossing(a);
    crossing(b);
    links.set(a, [...(links.get(a) ?? []), b]);
    links.set(b, [...(links.get(b) ?? []), a]);
  };

  for (let i = 0; i + 1 < rows; i++) {
    for (let j = 0; j + 1 < cols; j++) {
      const corners = [z[i][j], z[i][j + 1], z[i + 1][j + 1], z[i + 1][j]];
      if (!corners.every(Number.isFinite)) continue;
      // corners a = (i, j), b = (i, j+1), c = (i+1, j+1), d = (i+1, j); edges ab, bc, dc, ad
      const [a, b, c, d] = [above(i, j), above(i, j + 1), above(i + 1, j + 1), above(i + 1, j)];
      const ab = along(i, j);
      const bc = across(i, j + 1);
      const dc = along(i + 1, j);
      const ad = across(i, j);
      const crossed = [a !== b ? ab : -1, b !== c ? bc : -1, d !== c ? dc : -1, a !== d ? ad : -1].filter((e) => e >= 0);
      if (crossed.length === 2) {
        link(crossed[0], crossed[1]);
      } else if (crossed.length === 4) {
        const centreAbove = (corners[0] + corners[1] + corners[2] + corners[3]) / 4 >= level;
        if (centreAbove === a) {
          // a and c connect through the centre: the level cuts off corners b and d
          link(ab, bc);
          link(dc, ad);
        } else {
          link(ab, ad);
          link(bc, dc);
        }
      }
    }
  }
  return chain(points, links);
}

function chain(points: Map<number, [number, number]>, links: Map<number, number[]>): Polyline[] {
  const visited = new Set<number>();
  const lines: Polyline[] = [];
  const walk = (start: number): Polyline => {
    const line: Polyline = [];
    let previous = -1;
    let current: number | undefined = start;
    while (current !== undefined && !visited.has(current)) {
      visited.add(current);
      line.push(points.get(current) as [number, number]);
      const next: number | undefined = (links.get(current) ?? []).find((n) => n !== previous && !visited.has(n));
      previous = current;
      current = next;
    }
    // a closed line returns to its start
    if (line.length > 2 && (links.get(previous) ?? []).includes(start)) line.push(line[0]);
    return line;
  };
  // open lines first, from either end, so no open line is cut in two
  for (const [id, neighbours] of links) if (neighbours.length === 1 && !visited.has(id)) lines.push(walk(id));
  for (const id of links.keys()) if (!visited.has(id)) lines.push(walk(id));
  return lines;
}

/**
 * Contour levels as Plotly picks them when `autocontour` is on: "nice" values (1, 2 or 5 × 10^k apart),
 * at most `count` of them, strictly between the smallest and the largest finite value of z.
 */
export function contourLevels(z: ReadonlyArray<readonly number[]>, count: number): number[] {
  let low = Infinity;
  let high = -Infinity;
  for (const row of z) {
    for (const v of row) {
      if (Number.isFinite(v)) {
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
    }
  }
  if (!(high > low)) return [];
  let step = niceStep((high - low) / Math.max(1, count));
  // rounding the step up to a nice value can still leave more than `count` levels: widen until it fits
  const levelsWith = (size: number) => {
    const levels: number[] = [];
    // toPrecision: 3 × 0.1 is 0.30000000000000004, and the level's label should read 0.3
    for (let k = Math.floor(low / size); ; k++) {
      const level = Number((k * size).toPrecision(12));
      if (level >= high) break;
      if (level > low) levels.push(level);
    }
    return levels;
  };
  let levels = levelsWith(step);
  while (levels.length > count) {
    step = niceStep(step * 1.01);
    levels = levelsWith(step);
  }
  return levels;
}

/** The smallest of 1, 2, 5 × 10^k that is >= raw. */
function niceStep(raw: number): number {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw * (1 - 1e-12)) return m * power;
  return 10 * power;
}
