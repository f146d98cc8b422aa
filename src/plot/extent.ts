/** The smallest and largest of some values, without spreading them into arguments (Math.min(...values) overflows the stack past about 100 000 values). */
export function extent(values: Iterable<number>): [number, number] {
  let [low, high] = [Infinity, -Infinity];
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return [low, high];
}
