//! Bad input is an error naming the field and the allowed range, never a panic.

use hebb_connectivity::{Block, bernoulli};
use hebb_training::surrogate::{SurrogateConfig, surrogate_data};
use hebb_training::theory::BlockMoments;
use hebb_training::wiring::{FixedInDegree, fixed_in_degree};
use hebb_training::{
    FeedbackEncoders, ForceConfig, ForceReadout, Grouping, LearningSchedule, PlasticInputs, Precision, Readout, Rls,
    RlsConfig, Rowsum, TrainingError,
};

#[track_caller]
fn names<T: std::fmt::Debug>(r: Result<T, TrainingError>, field: &str) {
    match r {
        Ok(v) => panic!("expected an error naming `{field}`, got Ok({v:?})"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(field), "`{msg}` does not name `{field}`");
            if let TrainingError::Param(p) = &e {
                assert!(!p.allowed.is_empty(), "no allowed range in `{msg}`");
            }
        }
    }
}

fn small() -> PlasticInputs {
    let labels = Grouping::ExcInh { n_exc: 2 }.labels(4).unwrap();
    PlasticInputs::from_rows(
        4,
        vec![0, 1],
        &[vec![1, 2, 3], vec![0, 3]],
        &[vec![0.1, -1.0, -1.0], vec![0.1, -1.0]],
        &labels,
    )
    .unwrap()
}

#[test]
fn config_errors() {
    for lambda in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        names(Rls::<f64>::new(small(), RlsConfig { lambda, ..RlsConfig::default() }), "rls.lambda");
    }
    for mu in [0.0, -2.0, f64::NAN] {
        names(
            Rls::<f64>::new(small(), RlsConfig { rowsum: Rowsum::Soft { mu }, ..RlsConfig::default() }),
            "rls.rowsum.mu",
        );
    }
    names(Rls::<f32>::new(small(), RlsConfig::default()), "rls.precision");
    names(Rls::<f64>::new(small(), RlsConfig { precision: Precision::F32, ..RlsConfig::default() }), "rls.precision");
    // serde rejects unknown keys
    assert!(serde_json::from_str::<RlsConfig>(r#"{"lambda": 0.5, "lamda": 1}"#).is_err());
    let c: RlsConfig =
        serde_json::from_str(r#"{"lambda": 0.2, "rowsum": {"mode": "hard"}, "precision": "f32"}"#).unwrap();
    assert_eq!(c.rowsum, Rowsum::Hard);
    assert_eq!(c.precision, Precision::F32);
}

#[test]
fn input_structure_errors() {
    let labels = vec![0u16, 0, 1, 1];
    names(PlasticInputs::from_rows(4, vec![0], &[vec![1, 4]], &[vec![0.1, 0.2]], &labels), "rows[0][1]");
    names(PlasticInputs::from_rows(4, vec![0], &[vec![1, 1]], &[vec![0.1, 0.2]], &labels), "rows[0][1]");
    names(PlasticInputs::from_rows(4, vec![0], &[vec![1, 2]], &[vec![0.1]], &labels), "weights[0].len()");
    names(PlasticInputs::from_rows(4, vec![0], &[vec![1, 2]], &[vec![0.1, f64::NAN]], &labels), "weights[0][1]");
    names(PlasticInputs::from_rows(4, vec![0], &[vec![1]], &[vec![0.1]], &labels[..3]), "labels.len()");
    names(PlasticInputs::from_rows(4, vec![0, 1], &[vec![1]], &[vec![0.1]], &labels), "trained.len()");
    names(Grouping::ExcInh { n_exc: 5 }.labels(4), "grouping.n_exc");
    names(
        Grouping::RateSorted { n_exc: 2, groups_per_population: 0, rates: vec![1.0; 4] }.labels(4),
        "grouping.groups_per_population",
    );
    names(
        Grouping::RateSorted { n_exc: 2, groups_per_population: 2, rates: vec![1.0; 3] }.labels(4),
        "grouping.rates.len()",
    );
    names(
        Grouping::RateSorted { n_exc: 2, groups_per_population: 2, rates: vec![1.0, -1.0, 0.0, 0.0] }.labels(4),
        "grouping.rates[1]",
    );
    names(Grouping::Labels(vec![0; 3]).labels(4), "grouping.labels.len()");
    let mut csr =
        bernoulli(4, 4, &[Block { pre: 0..4, post: 0..4, p: 0.5, weight: 0.1, autapses: false }], 1, 0).unwrap();
    names(PlasticInputs::from_csr(&csr, &[4], &labels), "trained[0]");
    names(PlasticInputs::from_csr(&csr, &[0], &labels[..2]), "labels.len()");
    let rls = Rls::<f64>::new(small(), RlsConfig::default()).unwrap();
    names(rls.write_to_csr(&mut csr), "csr");
    names(
        fixed_in_degree(&FixedInDegree { n_exc: 10, n_inh: 10, k_exc: 10, k_inh: 2, autapses: false }, &[0], 1),
        "k_exc",
    );
    names(
        fixed_in_degree(&FixedInDegree { n_exc: 10, n_inh: 10, k_exc: 2, k_inh: 2, autapses: false }, &[20], 1),
        "post[0]",
    );
    names(LearningSchedule::from_ms(0.1, 0.0, 1000.0, 0.0, true), "schedule.every_steps");
    names(LearningSchedule::from_ms(0.1, 0.05, 1000.0, 10.0, true), "schedule.start_ms");
    names(LearningSchedule::from_ms(-0.1, 0.0, 1000.0, 10.0, true), "schedule.dt_ms");
}

#[test]
fn update_errors() {
    let mut rls = Rls::<f64>::new(small(), RlsConfig::default()).unwrap();
    names(rls.update(&[0.1; 3], &[0.0; 2], &[0.0; 2]), "traces.len()");
    names(rls.update(&[0.1, 0.1, f64::NAN, 0.1], &[0.0; 2], &[0.0; 2]), "traces[2]");
    names(rls.update(&[0.1; 4], &[0.0; 3], &[0.0; 2]), "bias.len()");
    names(rls.update(&[0.1; 4], &[0.0; 2], &[0.0, f64::INFINITY]), "target[1]");
    assert_eq!(rls.n_updates(), 0, "rejected updates change nothing");
    let mut out = vec![0.0; 3];
    names(rls.plastic_input(&[0.1; 4], &mut out), "out.len()");
    // numerical breakdown of an f32 arena on absurd traces is an error, not a panic
    let mut r32 = Rls::<f32>::new(small(), RlsConfig { precision: Precision::F32, ..RlsConfig::default() }).unwrap();
    names(r32.update(&[1e30; 4], &[0.0; 2], &[0.0; 2]), "numerical breakdown");
}

#[test]
fn force_and_theory_errors() {
    names(ForceReadout::new(10, 1, ForceConfig { alpha: 0.0, ..ForceConfig::default() }), "force.alpha");
    names(ForceReadout::new(0, 1, ForceConfig::default()), "force.n_inputs");
    names(ForceReadout::new(10, 0, ForceConfig::default()), "force.n_outputs");
    let mut ro = ForceReadout::new(3, 1, ForceConfig::default()).unwrap();
    let mut z = [0.0];
    names(ro.output(&[0.1; 2], &mut z), "rates.len()");
    names(ro.update(&[0.1, 0.2], &[0.1; 3]), "error.len()");
    names(ro.update(&[f64::NAN], &[0.1; 3]), "error[0]");
    names(ro.train_step(&[0.1; 3], &[f64::NAN], &mut z), "target[0]");
    names(FeedbackEncoders::random(3, 1, -1.0, 0), "force.encoder_amplitude");
    names(FeedbackEncoders::from_row_major(3, 2, vec![0.0; 5]), "force.encoders.len()");
    let enc = FeedbackEncoders::random(3, 1, 1.0, 0).unwrap();
    names(enc.feedback(&[1.0, 2.0], &mut [0.0; 3]), "z.len()");
    names(surrogate_data(&SurrogateConfig { n: 1, ..SurrogateConfig::default() }, 1), "surrogate.n");
    names(
        surrogate_data(&SurrogateConfig { learn_every: 10.05, ..SurrogateConfig::default() }, 1),
        "surrogate.learn_every",
    );
    names(surrogate_data(&SurrogateConfig { tau_s: 0.0, ..SurrogateConfig::default() }, 1), "surrogate.tau_s");
    names(
        BlockMoments::from_samples(&[vec![0.0; 2]], &[0.0], &[0.0; 2], &[std::ops::Range { start: 0, end: 2 }]),
        "samples.len()",
    );
    names(
        BlockMoments::from_samples(
            &[vec![0.0; 2], vec![0.0; 2]],
            &[0.0, 0.0],
            &[0.0; 2],
            &[std::ops::Range { start: 0, end: 3 }],
        ),
        "groups[0]",
    );
}

#[test]
fn theory_errors() {
    use hebb_training::theory::{batch_penalised_ls, p0_closed_form, q_matrix, ridge_batch};
    use nalgebra::{DMatrix, DVector};
    names(q_matrix(4, &[0..2, 1..4], 0.5, 1.0), "groups[1]");
    names(q_matrix(4, &[std::ops::Range { start: 0, end: 5 }], 0.5, 1.0), "groups[0]");
    names(p0_closed_form(4, &[0..2, 2..4], 0.0, Rowsum::Hard), "lambda");
    let r = DMatrix::<f64>::zeros(3, 5);
    names(batch_penalised_ls(&r, &DVector::zeros(4), &DVector::zeros(3), &DMatrix::identity(3, 3)), "g.shape");
    names(
        batch_penalised_ls(&r, &DVector::zeros(5), &DVector::zeros(3), &DMatrix::zeros(3, 3)),
        "not positive definite",
    );
    names(ridge_batch(&r, &DMatrix::zeros(4, 1), 1.0), "x.shape");
    names(ridge_batch(&r, &DMatrix::zeros(5, 1), -1.0), "alpha");
}
