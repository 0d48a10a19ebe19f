/**
 * Lowers a kernel's TypeScript (parsed by kernels/source.ts) into the expression graph of
 * kernels/graph.ts. Locals, `if`/`else`, early returns and helper calls disappear: a `let`
 * assigned in a branch becomes a `select`, a return in a branch selects between the results of
 * the paths, and a helper is inlined at each call (shared through CSE). So the printed code has
 * no user names to mangle, and an unassigned `let` is `undefined` on its path in every target.
 *
 * The subset a plan can express:
 *  - numeric literals, `NaN`, `Infinity`, `Math.PI` / `E` / `LN2` / `LN10` / `LOG2E` / `LOG10E` /
 *    `SQRT2` / `SQRT1_2`, `Number.EPSILON` and friends, and module-level `const` numbers (of this
 *    module or imported from a relative module);
 *  - `const` / `let` locals (numbers or booleans), assignment to `let` locals (`=`, `+=`, `-=`,
 *    `*=`, `/=`, `%=`, `**=`, `++`, `--` as statements), blocks, `if` / `else`, early `return`;
 *  - `+ - * / % **`, unary `-` and `+`, comparisons, `!`, `&&` and `||` on booleans, `?:`;
 *  - `Math.exp expm1 log log1p log2 log10 pow sqrt cbrt abs min max tanh sinh cosh sin cos tan
 *    asin acos atan atan2 floor ceil trunc sign`;
 *  - calls to pure helpers (top-level `function` declarations or `const` arrow / function
 *    expressions of the same module or a relative import); recursion is refused;
 *  - every other name is resolved as JavaScript resolves it (the TypeScript binder, see
 *    `Sources.binding`): one bound by an enclosing function, parameter, block or loop (a
 *    factory's parameter, a loop variable, a local helper or constant shadowing a top-level one)
 *    is refused, since its value belongs to the call that made the kernel;
 *  - reads of the scope parameter `x.<name>`, also as `const { v, m } = x`;
 *  - `return { key: expr, short, ... }` in kernels, `return expr` in helpers.
 *
 * Anything else (loops, `this`, `console.*`, arrays, strings, closures, `new`, unknown calls,
 * mutable module state, truthiness of numbers, `switch`, `throw`, `try`, labels, `debugger`) is a
 * `CompileError` naming the construct, file:line:column and what to do.
 *
 * @module
 */
export { Lowerer } from "./lower/statements.ts";
export type { KernelScope, LoweredKernel } from "./lower/scope.ts";
