//! Neuron models over populations in struct-of-arrays form: EIF and LIF.
