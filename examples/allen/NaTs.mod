: NaTs: the transient (fast-inactivating) sodium current of the Allen Institute's cell-type
: models, after Colbert and Pan (2002). This file was written for denocat's examples from the
: model's rate equations, the same as those of `NaTs` in Arbor's allen catalogue; it is not a
: copy of either source. Rates are 1/ms at 23 degC, scaled by 2.3^((celsius - 23)/10).

NEURON {
    SUFFIX NaTs
    USEION na READ ena WRITE ina
    RANGE gbar
}

UNITS {
    (S)  = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar    = 0.00001 (S/cm2)
    malphaF = 0.182
    mbetaF  = 0.124
    mvhalf  = -40     (mV)
    mk      = 6       (mV)
    halphaF = 0.015
    hbetaF  = 0.015
    hvhalf  = -66     (mV)
    hk      = 6       (mV)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gbar*m*m*m*h*(v - ena)
}

INITIAL {
    LOCAL am, bm, ah, bh
    am = malphaF*trap(mvhalf - v, mk)
    bm = mbetaF*trap(v - mvhalf, mk)
    ah = halphaF*trap(v - hvhalf, hk)
    bh = hbetaF*trap(hvhalf - v, hk)
    m = am/(am + bm)
    h = ah/(ah + bh)
}

DERIVATIVE states {
    LOCAL am, bm, ah, bh, q
    q = 2.3^((celsius - 23)/10)
    am = malphaF*trap(mvhalf - v, mk)
    bm = mbetaF*trap(v - mvhalf, mk)
    ah = halphaF*trap(v - hvhalf, hk)
    bh = hbetaF*trap(hvhalf - v, hk)
    m' = (am/(am + bm) - m)*(am + bm)*q
    h' = (ah/(ah + bh) - h)*(ah + bh)*q
}

: x/(exp(x/k) - 1), and its series where x/k is below 1e-6 (the limit k at x = 0)
FUNCTION trap(x, k) {
    if (fabs(x/k) < 1e-6) {
        trap = k*(1 - x/k/2)
    } else {
        trap = x/(exp(x/k) - 1)
    }
}
