//! Invalid input ends in an error naming the field and its allowed range;
//! nothing panics on user input.

use hebb_rate::{
    DenseNetwork, HistoryNetwork, LyapunovOptions, RateError, RateParams, SynapseScheme, lyapunov_spectrum,
};
use proptest::prelude::*;

fn field_of(p: &RateParams) -> String {
    match p.validate() {
        Err(e) => e.field,
        Ok(()) => "ok".into(),
    }
}

#[test]
fn each_invalid_field_is_named() {
    let ok = RateParams { n: 10, ..Default::default() };
    assert_eq!(field_of(&ok), "ok");
    let cases: Vec<(RateParams, &str)> = vec![
        (RateParams { n: 0, ..ok.clone() }, "n"),
        (RateParams { n: 1 << 20, ..ok.clone() }, "n"),
        (RateParams { g: -1.0, ..ok.clone() }, "g"),
        (RateParams { g: f64::NAN, ..ok.clone() }, "g"),
        (RateParams { g: 1e300, ..ok.clone() }, "g"),
        (RateParams { k: f64::INFINITY, ..ok.clone() }, "k"),
        (RateParams { k: -1e13, ..ok.clone() }, "k"),
        (RateParams { tau_s: 0.0, ..ok.clone() }, "tau_s"),
        (RateParams { tau_s: f64::INFINITY, ..ok.clone() }, "tau_s"),
        (RateParams { dt: 0.0, ..ok.clone() }, "dt"),
        (RateParams { dt: 1.5, ..ok.clone() }, "dt"),
        (RateParams { dt: 0.5, tau_s: 0.1, ..ok.clone() }, "dt"),
        (RateParams { x0_std: -1.0, ..ok.clone() }, "x0_std"),
        (RateParams { history_tol: 0.0, ..ok.clone() }, "history_tol"),
        (RateParams { history_tol: 1.0, ..ok.clone() }, "history_tol"),
        (RateParams { history_len: Some(0), ..ok.clone() }, "history_len"),
    ];
    for (p, field) in cases {
        assert_eq!(field_of(&p), field, "{p:?}");
        let e = DenseNetwork::new(&p, 0).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(field) && msg.contains("allowed"), "{msg}");
    }
    // dt > τ_s is fine with the exponential synapse update.
    let expo = RateParams { dt: 0.5, tau_s: 0.1, scheme: SynapseScheme::Exponential, ..ok.clone() };
    assert!(expo.validate().is_ok());
    let msg = RateParams { tau_s: 0.0, ..ok }.validate().unwrap_err().to_string();
    assert_eq!(msg, "invalid value for `tau_s`: 0 (allowed: a finite number > 0)");
}

#[test]
fn oversized_history_is_an_error_not_an_abort() {
    // τ_s = 1e6 needs L ≈ 3e8 vectors for a 1e-14 tail.
    let p = RateParams { n: 100, tau_s: 1e6, ..Default::default() };
    let e = HistoryNetwork::new(&p, 0).unwrap_err();
    assert!(e.to_string().contains("history_tol"), "{e}");
    // The dense kernel is fine there.
    assert!(DenseNetwork::new(&p, 0).is_ok());
    let p = RateParams { n: 1000, history_len: Some(1 << 20), ..Default::default() };
    let e = HistoryNetwork::new(&p, 0).unwrap_err();
    assert!(e.to_string().contains("history_len"), "{e}");
}

#[test]
fn state_and_option_errors() {
    let p = RateParams { n: 8, ..Default::default() };
    let mut net = DenseNetwork::new(&p, 1).unwrap();
    assert!(matches!(net.set_x(&[0.0; 7]), Err(RateError::State { .. })));
    assert!(matches!(net.set_x(&[0.0, 0.0, 0.0, f64::NAN, 0.0, 0.0, 0.0, 0.0]), Err(RateError::State { .. })));
    assert!(net.set_x(&[0.5; 8]).is_ok());
    assert!(DenseNetwork::from_parts(&p, vec![0.0; 63], vec![0.0; 8]).is_err());
    for (o, field) in [
        (LyapunovOptions { exponents: 0, ..Default::default() }, "exponents"),
        (LyapunovOptions { exponents: 8 + 36 + 1, ..Default::default() }, "exponents"),
        (LyapunovOptions { renorm_every: 0, ..Default::default() }, "renorm_every"),
        (LyapunovOptions { steps: 0, ..Default::default() }, "steps"),
    ] {
        let e = lyapunov_spectrum(&mut net, &o).unwrap_err();
        assert!(e.to_string().contains(field), "{e}");
    }
    // While frozen the tangent space is N-dimensional.
    net.freeze();
    let o = LyapunovOptions { exponents: 9, ..Default::default() };
    assert!(lyapunov_spectrum(&mut net, &o).is_err());
}

#[test]
fn params_round_trip_through_json_and_reject_unknown_keys() {
    let p =
        RateParams { n: 12, k: -2.0, scheme: SynapseScheme::Exponential, history_len: Some(40), ..Default::default() };
    let s = serde_json::to_string(&p).unwrap();
    assert!(s.contains("\"scheme\":\"exponential\""), "{s}");
    let q: RateParams = serde_json::from_str(&s).unwrap();
    assert_eq!(p, q);
    // Missing keys take the defaults; misspelt keys fail loudly.
    let d: RateParams = serde_json::from_str(r#"{"n": 50, "k": 1.0}"#).unwrap();
    assert_eq!(d.g, 2.0);
    assert!(serde_json::from_str::<RateParams>(r#"{"n": 50, "tau": 1.0}"#).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any input either fails validation or yields a network whose steps
    /// stay finite (the boundedness argument of `RateNetwork`).
    #[test]
    fn arbitrary_input_never_panics(
        n in 0usize..40,
        g in prop_oneof![any::<f64>(), -1.0f64..10.0],
        k in prop_oneof![any::<f64>(), -20.0f64..20.0],
        tau_s in prop_oneof![any::<f64>(), 0.0f64..20.0],
        dt in prop_oneof![any::<f64>(), 0.0f64..1.2],
        x0_std in prop_oneof![any::<f64>(), 0.0f64..5.0],
        expo in any::<bool>(),
    ) {
        let p = RateParams {
            n, g, k, tau_s, dt, x0_std,
            scheme: if expo { SynapseScheme::Exponential } else { SynapseScheme::Euler },
            history_len: Some(30),
            ..Default::default()
        };
        match DenseNetwork::new(&p, 1) {
            Err(_) => prop_assert!(p.validate().is_err()),
            Ok(mut net) => {
                net.run(20);
                prop_assert!(net.x().iter().all(|v| v.is_finite()));
                let mut h = HistoryNetwork::new(&p, 1).unwrap();
                h.run(20);
                prop_assert!(h.x().iter().all(|v| v.is_finite()));
            }
        }
    }
}
