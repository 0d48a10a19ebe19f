/**
 * allen's NaV.mod, solved exactly: the matrix of its LINEAR block `seqinitial` (the initial state)
 * and a rational Gaussian elimination, so the initial states of a build (Arbor's builtin, denocat's
 * port or import) can be compared with the exact solution. Used by tests/scheme_ports_arbor_test.ts
 * and tests/arbor_catalogue_test.ts.
 *
 * @module
 */
/** NaV.mod's twelve STATEs, in the order of the matrices below. */
export const NAV_STATES = ["C1", "C2", "C3", "C4", "C5", "O", "I1", "I2", "I3", "I4", "I5", "I6"];

/**
 * NaV.mod's LINEAR block `seqinitial` as a matrix A and right-hand side r (A·s = r, states in
 * NAV_STATES order) at voltage v and temperature factor qt, with the builtin's default parameters:
 * the balance (inflow − outflow) of every state but I6, whose row is the conservation law. Built
 * from the list of reactions, then with NaV.mod's one departure from the scheme: I3's equation
 * takes the flow from I4 with bi3, where the reaction I3 ⇌ I4 has b13.
 */
export function navLinearSystem(v: number, qt: number): { A: number[][]; r: number[] } {
  const [Con, Coff, Oon, Ooff, alpha, beta, gamma, delta] = [0.01, 40, 8, 0.05, 400, 12, 250, 60];
  const [alfac, btfac, x1, x2] = [2.51, 5.32, 24, -24];
  const ibtf = 1 / btfac;
  const f04 = qt * alpha * Math.exp(v / x1), b01 = qt * beta * Math.exp(v / x2);
  const f14 = alfac * f04, b11 = b01 * ibtf;
  const fi = [qt * Con], bi = [qt * Coff];
  for (let k = 1; k < 5; k++) {
    fi.push(fi[k - 1] * alfac);
    bi.push(bi[k - 1] * ibtf);
  }
  const [f0O, b0O, fin, bin] = [qt * gamma, qt * delta, qt * Oon, qt * Ooff];
  const reactions: [string, string, number, number][] = [
    ["C1", "C2", 4 * f04, b01],
    ["C2", "C3", 3 * f04, 2 * b01],
    ["C3", "C4", 2 * f04, 3 * b01],
    ["C4", "C5", f04, 4 * b01],
    ["C5", "O", f0O, b0O],
    ["O", "I6", fin, bin],
    ["I1", "I2", 4 * f14, b11],
    ["I2", "I3", 3 * f14, 2 * b11],
    ["I3", "I4", 2 * f14, 3 * b11],
    ["I4", "I5", f14, 4 * b11],
    ["I5", "I6", f0O, b0O],
    ...[1, 2, 3, 4, 5].map((k): [string, string, number, number] => [`C${k}`, `I${k}`, fi[k - 1], bi[k - 1]]),
  ];
  const at = (s: string) => NAV_STATES.indexOf(s);
  const A = NAV_STATES.map(() => NAV_STATES.map(() => 0));
  for (const [from, to, forward, backward] of reactions) {
    A[at(from)][at(from)] -= forward;
    A[at(to)][at(from)] += forward;
    A[at(to)][at(to)] -= backward;
    A[at(from)][at(to)] += backward;
  }
  A[at("I3")][at("I4")] = bi[2];
  A[at("I6")] = NAV_STATES.map(() => 1);
  return { A, r: NAV_STATES.map((s) => (s === "I6" ? 1 : 0)) };
}

/** A rational number p/q (q > 0, lowest terms). */
type Rational = [bigint, bigint];
const babs = (a: bigint) => (a < 0n ? -a : a);
function reduce([p, q]: Rational): Rational {
  if (q < 0n) [p, q] = [-p, -q];
  let [a, b] = [babs(p), q];
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? [0n, 1n] : [p / a, q / a];
}
/** The double `x` exactly. */
function exact(x: number): Rational {
  let scale = 0n;
  while (!Number.isInteger(x)) [x, scale] = [x * 2, scale + 1n]; // exact: doubling only moves the exponent
  return reduce([BigInt(x), 1n << scale]);
}
/** p/q rounded to a double (80 bits of quotient, then one rounding). */
function toDouble([p, q]: Rational): number {
  const shift = 80 + q.toString(2).length - babs(p).toString(2).length;
  const quotient = shift >= 0 ? (p << BigInt(shift)) / q : p / (q << BigInt(-shift));
  return Number(quotient) * 2 ** -shift;
}

/** The exact solution of A·s = r for double entries (Gauss–Jordan over the rationals), rounded. */
export function solveExactly(A: number[][], r: number[]): number[] {
  const n = r.length;
  const M = A.map((row, i) => [...row, r[i]].map(exact));
  for (let k = 0; k < n; k++) {
    const p = M.findIndex((row, i) => i >= k && row[k][0] !== 0n);
    [M[k], M[p]] = [M[p], M[k]];
    for (let i = 0; i < n; i++) {
      if (i === k || M[i][k][0] === 0n) continue;
      const f = reduce([M[i][k][0] * M[k][k][1], M[i][k][1] * M[k][k][0]]);
      for (let j = k; j <= n; j++) {
        const [a, b] = [M[i][j], M[k][j]];
        M[i][j] = reduce([a[0] * f[1] * b[1] - f[0] * b[0] * a[1], a[1] * f[1] * b[1]]);
      }
    }
  }
  return M.map((row, i) => toDouble(reduce([row[n][0] * row[i][1], row[n][1] * row[i][0]])));
}

/** Largest |(A·s − r)ᵢ| / Σⱼ |Aᵢⱼ·sⱼ|: each equation's residual against the size of its terms. */
export function scaledResidual(A: number[][], r: number[], s: number[]): number {
  return Math.max(...A.map((row, i) => {
    const terms = row.map((a, j) => a * s[j]);
    return Math.abs(terms.reduce((x, y) => x + y) - r[i]) / terms.reduce((x, y) => x + Math.abs(y), 0);
  }));
}

/** Largest |aᵢ − bᵢ| / |bᵢ|. */
export const worstRelative = (a: number[], b: number[]) =>
  Math.max(...a.map((x, k) => Math.abs(x - b[k]) / Math.abs(b[k])));
