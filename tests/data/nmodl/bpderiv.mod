: Written for tests/modcc_test.ts: an ASSIGNED value that BREAKPOINT sets from v and DERIVATIVE
: reads. Arbor runs compute_currents (BREAKPOINT) before advance_state (DERIVATIVE) in a step, so
: DERIVATIVE sees the voltage of the step's start, not the one after the voltage solve.
NEURON {
    SUFFIX bpderiv
    NONSPECIFIC_CURRENT i
    RANGE gbar, e, drive
}
PARAMETER {
    gbar = 0.002 (S/cm2)
    e = -80 (mV)
    tau = 3 (ms)
}
STATE { s }
ASSIGNED { drive }
INITIAL { s = 0 }
BREAKPOINT {
    SOLVE states METHOD cnexp
    drive = 1/(1 + exp(-(v + 30)/3))
    i = gbar*s*(v - e)
}
DERIVATIVE states { s' = (drive - s)/tau }
