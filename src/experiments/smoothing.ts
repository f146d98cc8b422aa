/** A bias-corrected exponential moving average, as fastai's lr_find smooths its losses. */
export class SmoothedValue {
  private average = 0;
  private count = 0;

  constructor(private readonly beta: number) {}

  add(value: number): number {
    this.count += 1;
    this.average = this.beta * this.average + (1 - this.beta) * value;
    return this.value;
  }

  get value(): number {
    return this.count === 0 ? Number.NaN : this.average / (1 - Math.pow(this.beta, this.count));
  }
}
