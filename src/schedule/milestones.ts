/** How many of the sorted `milestones` are <= t (Python's bisect_right). */
export function countAtOrBelow(milestones: readonly number[], t: number): number {
  let lo = 0;
  let hi = milestones.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (milestones[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
