/** Op definitions shared by every backend: validation, cost counts and the float64 reference oracle. */
module dev.pincette.kernels {
  exports dev.pincette.kernels;
}
