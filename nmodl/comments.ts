/**
 * Places the comments of a .mod file: a comment inside a block goes before the first statement
 * at or after its line; one on a declaration's line documents that declaration; one just
 * before a block documents the block; the rest (TITLE, COMMENT blocks, stray lines) documents
 * the module. So the generated TypeScript keeps every comment near the code it described.
 *
 * @module
 */
import type { Body, Declaration, NmodlFile, Statement } from "./ast.ts";

/** Where each comment went. */
export interface PlacedComments {
  statements: Map<Statement, string[]>;
  declarations: Map<Declaration, string[]>;
  bodies: Map<Body, string[]>;
  /** Comments after a body's last statement. */
  bodyEnds: Map<Body, string[]>;
  module: string[];
}

function bodiesOf(file: NmodlFile): Body[] {
  return [
    file.initial,
    file.breakpoint,
    ...file.derivatives,
    ...file.procedures,
    ...file.functions,
    file.netReceive,
    file.postEvent,
  ]
    .filter((b): b is Body => b !== undefined).sort((a, b) => a.at.line - b.at.line);
}

function flatten(list: Statement[]): Statement[] {
  return list.flatMap((s) => (s.kind === "if" ? [s, ...flatten(s.then), ...flatten(s.otherwise)] : [s]));
}

/** Places every comment of `file`. */
export function placeComments(file: NmodlFile): PlacedComments {
  const placed: PlacedComments = {
    statements: new Map(),
    declarations: new Map(),
    bodies: new Map(),
    bodyEnds: new Map(),
    module: [],
  };
  const push = <K>(map: Map<K, string[]>, key: K, text: string) =>
    map.set(key, [...(map.get(key) ?? []), text]);
  const bodies = bodiesOf(file);
  const declarations = [...file.parameters, ...file.assigned, ...file.states, ...file.constants];
  const itemLines = [
    ...bodies.flatMap((b) => [b.at.line, b.end]),
    ...declarations.map((d) => d.at.line),
    file.neuron.at.line,
  ];
  for (const c of file.comments) {
    if (c.block) {
      placed.module.push(c.text);
      continue;
    }
    if (c.text === "") continue;
    const body = bodies.find((b) => b.at.line <= c.line && c.line <= b.end);
    if (body) {
      const statement = flatten(body.statements).find((s) => s.at.line >= c.line);
      if (statement) push(placed.statements, statement, c.text);
      else push(placed.bodyEnds, body, c.text);
      continue;
    }
    const declaration = declarations.find((d) => d.at.line === c.line);
    if (declaration) {
      push(placed.declarations, declaration, c.text);
      continue;
    }
    const next = bodies.find((b) => b.at.line > c.line);
    if (next && !itemLines.some((line) => line > c.line && line < next.at.line)) {
      push(placed.bodies, next, c.text);
      continue;
    }
    placed.module.push(`(line ${c.line}) ${c.text}`);
  }
  return placed;
}
