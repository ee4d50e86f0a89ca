/** Typed access to a node's attributes, with errors that name the node. */
import { AttributeType, type NodeProto, type TensorProto } from '../proto/types.js';

/** "node "conv1" (Conv)": how errors name a node. */
export function nodeLabel(node: NodeProto): string {
  return `node "${node.name || '(unnamed)'}" (${node.op_type || '?'})`;
}

export class NodeAttributes {
  private readonly byName = new Map<string, NonNullable<NodeProto['attribute']>[number]>();

  constructor(private readonly node: NodeProto) {
    for (const a of node.attribute ?? []) this.byName.set(a.name ?? '', a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (!a) return fallback;
    this.expect(name, a.type, AttributeType.INT, 'an integer');
    return a.i ?? 0;
  }

  float(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (!a) return fallback;
    this.expect(name, a.type, AttributeType.FLOAT, 'a float');
    return a.f ?? 0;
  }

  ints(name: string, fallback: readonly number[] | undefined): number[] | undefined {
    const a = this.byName.get(name);
    if (!a) return fallback ? [...fallback] : undefined;
    this.expect(name, a.type, AttributeType.INTS, 'a list of integers');
    return [...(a.ints ?? [])];
  }

  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    this.expect(name, a.type, AttributeType.FLOATS, 'a list of floats');
    return [...(a.floats ?? [])];
  }

  string(name: string, fallback: string): string {
    const a = this.byName.get(name);
    if (!a) return fallback;
    this.expect(name, a.type, AttributeType.STRING, 'a string');
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  tensor(name: string): TensorProto | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    this.expect(name, a.type, AttributeType.TENSOR, 'a tensor');
    return a.t;
  }

  /** Throws unless every attribute present is in `known` (catches semantics we would ignore). */
  allowOnly(known: readonly string[]): void {
    for (const name of this.byName.keys()) {
      if (!known.includes(name)) {
        throw new Error(
          `${nodeLabel(this.node)}: attribute "${name}" is not supported (known: ${known.join(', ') || 'none'})`,
        );
      }
    }
  }

  private expect(name: string, type: number | undefined, wanted: number, what: string): void {
    // IR < 2 files may omit the type discriminator; trust the field then.
    if (type !== undefined && type !== AttributeType.UNDEFINED && type !== wanted) {
      throw new Error(
        `${nodeLabel(this.node)}: attribute "${name}" must be ${what} (attribute type ${type})`,
      );
    }
  }
}
