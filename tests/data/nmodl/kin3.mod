: A three-state potassium channel written as a kinetic scheme (denocat test file)
NEURON {
  SUFFIX kin3
  USEION k READ ek WRITE ik
  RANGE gbar, a0, b0
}
PARAMETER {
  gbar = 0.01 (S/cm2)
  a0 = 0.2 (/ms)
  b0 = 0.3 (/ms)
  kio = 0.05 (/ms)
}
STATE { C O I }
BREAKPOINT {
  SOLVE scheme METHOD sparse
  ik = gbar*O*(v - ek)
}
INITIAL {
  SOLVE scheme STEADYSTATE sparse
}
KINETIC scheme {
  LOCAL a, b
  a = a0*exp(v/25)
  b = b0*exp(-v/30)
  ~ C <-> O (a, b)
  ~ O <-> I (kio, 0.01)
  CONSERVE C + O + I = 1
}
