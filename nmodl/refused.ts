/**
 * The NMODL constructs the importer refuses, each with what to do instead: top-level blocks,
 * statements inside blocks, and NEURON-block statements. The parser reads these tables; the
 * messages are what users see after `file:line:column: <construct> is not supported:`.
 *
 * @module
 */

/** Top-level blocks the importer refuses, and why. */
export const REFUSED_BLOCKS: Record<string, string> = {
  NONLINEAR:
    "modcc has no NONLINEAR blocks either; rewrite the system as explicit assignments or a KINETIC scheme",
  DISCRETE: "Arbor has no DISCRETE blocks",
  PARTIAL: "Arbor has no PARTIAL blocks",
  DEFINE: "replace the macro by its value (it is usually an array size; arrays are not supported either)",
  LOCAL:
    "a LOCAL outside any block is shared mutable state, which kernels cannot hold; move it into the block that uses it",
  BEFORE: "Arbor has no BEFORE blocks",
  AFTER: "Arbor has no AFTER blocks",
  CONSTRUCTOR: "Arbor has no CONSTRUCTOR blocks",
  DESTRUCTOR: "Arbor has no DESTRUCTOR blocks",
  FUNCTION_TABLE: "tabulate the function in a FUNCTION instead",
  TERMINAL: "Arbor has no TERMINAL blocks",
  WATCH: "Arbor has no WATCH statements",
  VERBATIM: "its C code cannot be translated; rewrite it in NMODL",
  NET_RECEIVE_INIT: "Arbor has no INITIAL block inside NET_RECEIVE",
  FORALL: "Arbor has no FORALL statements",
};

/** Statements the importer refuses inside blocks, and why. */
export const REFUSED_STATEMENTS: Record<string, string> = {
  FROM: "loops cannot be translated into kernels; unroll it",
  WHILE: "loops cannot be translated into kernels; unroll it",
  FOR_NETCONS: "Arbor has no FOR_NETCONS",
  LONGITUDINAL_DIFFUSION: "Arbor has no LONGITUDINAL_DIFFUSION",
  WATCH: "Arbor has no WATCH statements",
  VERBATIM: "its C code cannot be translated; rewrite it in NMODL",
  LAG: "Arbor has no LAG statements",
  MATCH: "Arbor has no MATCH blocks",
  SWEEP: "Arbor has no SWEEP statements",
  RESET: "Arbor has no RESET statements",
  PROTECT: "Arbor has no PROTECT statements; write the assignment plainly",
  MUTEXLOCK: "Arbor has no MUTEXLOCK",
  MUTEXUNLOCK: "Arbor has no MUTEXUNLOCK",
  LOCAL: "",
};

/** NEURON-block statements the importer refuses, and why. */
export const REFUSED_NEURON: Record<string, string> = {
  POINTER: "Arbor has no POINTER variables",
  BBCOREPOINTER: "Arbor has no BBCOREPOINTER variables",
  ARTIFICIAL_CELL: "Arbor has no artificial cells in mechanism catalogues; use a POINT_PROCESS",
  ELECTRODE_CURRENT: "Arbor has no ELECTRODE_CURRENT; use a NONSPECIFIC_CURRENT with the opposite sign",
  EXTERNAL: "Arbor has no EXTERNAL variables",
  RANDOM: "NMODL RANDOM variables are not supported by the importer",
  REPRESENTS: "REPRESENTS is not supported by the importer; remove it",
};
