: The same scheme, started from a LINEAR block in INITIAL (denocat test file)
NEURON {
  SUFFIX lin3
  USEION k READ ek WRITE ik
  RANGE gbar, qt
}
ASSIGNED { qt }
PARAMETER {
  gbar = 0.01 (S/cm2)
  a0 = 0.2 (/ms)
  b0 = 0.3 (/ms)
}
STATE { C O I }
BREAKPOINT {
  SOLVE scheme METHOD sparse
  ik = gbar*O*(v - ek)
}
INITIAL {
  qt = 2.3^((celsius - 37)/10)
  SOLVE start
}
KINETIC scheme {
  ~ C <-> O (qt*a0*exp(v/25), qt*b0*exp(-v/30))
  ~ O <-> I (qt*0.05, qt*0.01)
  CONSERVE C + O + I = 1
}
LINEAR start {
  LOCAL a, b
  a = qt*a0*exp(v/25)
  b = qt*b0*exp(-v/30)
  ~ b*O - a*C = 0
  ~ a*C - (b + qt*0.05)*O + qt*0.01*I = 0
  ~ C + O + I = 1
}
