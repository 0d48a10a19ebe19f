: Written for tests/modcc_test.ts: a persistent sodium current whose instantaneous activation is a
: LOCAL of BREAKPOINT computed from v. modcc's conductance is the coefficient of v with that LOCAL
: kept as a constant (gbar*minst*h), not dI/dv through minst.
NEURON {
    SUFFIX napslow
    USEION na READ ena WRITE ina
    RANGE gbar
}
PARAMETER {
    gbar = 0.004 (S/cm2)
    vm = -48 (mV)
    km = 5 (mV)
    vh = -49 (mV)
    kh = 10 (mV)
    tauh = 50 (ms)
}
STATE { h }
BREAKPOINT {
    SOLVE states METHOD cnexp
    LOCAL minst
    minst = 1/(1 + exp((vm - v)/km))
    ina = gbar*minst*h*(v - ena)
}
INITIAL { h = hinf(v) }
DERIVATIVE states { h' = (hinf(v) - h)/tauh }
FUNCTION hinf(u (mV)) { hinf = 1/(1 + exp((u - vh)/kh)) }
