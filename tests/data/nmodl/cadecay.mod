: Written for tests/modcc_test.ts: a calcium concentration writer (modcc accepts it, denocat refuses to write cai).
NEURON {
    SUFFIX cadecay
    USEION ca READ ica WRITE cai
    RANGE tau
}
PARAMETER { tau = 80 (ms) cai0 = 5e-5 (mM) }
STATE { cai }
INITIAL { cai = cai0 }
BREAKPOINT {
    SOLVE states METHOD cnexp
}
DERIVATIVE states { cai' = -0.05*ica - (cai - cai0)/tau }
