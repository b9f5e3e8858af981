/**
 * Reads a parsed template (handlebars AST) for what the catalogue must check against the header: the
 * root variables the text uses and the vocabulary terms (`{{t "key"}}`) it asks for.
 */

/** Block helpers whose body reads the items of their argument, not the root context. */
const SCOPING_BLOCKS = new Set(['each', 'with']);

export interface TemplateUsage {
  /** First segment of every path read from the root context (`bank` for `{{bank.name}}`). */
  readonly vars: ReadonlySet<string>;
  /** Keys passed to the `t` helper. */
  readonly terms: ReadonlySet<string>;
  /** Constructs the catalogue cannot check (partials, a computed `t` key). */
  readonly problems: readonly string[];
  /** The template's own literal text (outside `{{…}}`), each piece on its own line. */
  readonly literals: readonly string[];
}

interface Walk {
  vars: Set<string>;
  terms: Set<string>;
  problems: string[];
  literals: string[];
}

function visitPath(path: hbs.AST.PathExpression, depth: number, walk: Walk): void {
  const head = path.parts[0];
  if (head === undefined) return; // `this`
  if (path.data) {
    if (head === 'root' && path.parts[1] !== undefined) walk.vars.add(path.parts[1]);
    return;
  }
  if (depth - path.depth === 0) walk.vars.add(head);
}

function visitExpression(node: hbs.AST.Expression, depth: number, walk: Walk): void {
  if (node.type === 'PathExpression') visitPath(node as hbs.AST.PathExpression, depth, walk);
  else if (node.type === 'SubExpression') visitCall(node as hbs.AST.SubExpression, depth, walk);
}

/** A helper call: its name is not a variable, its arguments may be. */
function visitCall(node: hbs.AST.SubExpression | hbs.AST.MustacheStatement, depth: number, walk: Walk): void {
  const name = node.path.type === 'PathExpression' ? (node.path as hbs.AST.PathExpression).original : '';
  if (name === 't') {
    const key = node.params[0];
    if (node.params.length === 1 && key?.type === 'StringLiteral')
      walk.terms.add((key as hbs.AST.StringLiteral).value);
    else walk.problems.push('{{t}} takes exactly one quoted key');
  }
  for (const param of node.params) visitExpression(param, depth, walk);
  for (const pair of node.hash?.pairs ?? []) visitExpression(pair.value, depth, walk);
}

function visitStatement(node: hbs.AST.Statement, depth: number, walk: Walk): void {
  if (node.type === 'ContentStatement') {
    walk.literals.push((node as hbs.AST.ContentStatement).value);
  } else if (node.type === 'MustacheStatement') {
    const m = node as hbs.AST.MustacheStatement;
    if (m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0) visitCall(m, depth, walk);
    else visitExpression(m.path, depth, walk);
  } else if (node.type === 'BlockStatement') {
    const b = node as hbs.AST.BlockStatement;
    for (const param of b.params) visitExpression(param, depth, walk);
    visitProgram(b.program, SCOPING_BLOCKS.has(b.path.original) ? depth + 1 : depth, walk);
    if (b.inverse) visitProgram(b.inverse, depth, walk);
  } else if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') {
    walk.problems.push('partials are not supported: a template must hold its whole text');
  }
}

function visitProgram(program: hbs.AST.Program, depth: number, walk: Walk): void {
  for (const statement of program.body) visitStatement(statement, depth, walk);
}

/** Collect the root variables and terms a parsed template uses. */
export function inspectTemplate(program: hbs.AST.Program): TemplateUsage {
  const walk: Walk = { vars: new Set(), terms: new Set(), problems: [], literals: [] };
  visitProgram(program, 0, walk);
  return walk;
}
