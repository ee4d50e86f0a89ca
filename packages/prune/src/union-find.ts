/** Disjoint sets over dense integer ids (path halving, union by size). */
export class UnionFind {
  private readonly parent: number[] = [];
  private readonly size: number[] = [];

  /** A new singleton set; returns its id. */
  add(): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.size.push(1);
    return id;
  }

  get count(): number {
    return this.parent.length;
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }

  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return ra;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
    return ra;
  }

  /** Every set's members, keyed by its root. */
  groups(): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (let i = 0; i < this.parent.length; i++) {
      const r = this.find(i);
      const list = out.get(r);
      if (list) list.push(i);
      else out.set(r, [i]);
    }
    return out;
  }
}
