//! The Grokfast filter inside core's step: λ = 0 leaves AdamW's result bit-identical, λ > 0
//! changes it, and a frozen tensor's filter state stays untouched.
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::{Example, Pairs, Tasks};
use modgrok_core::grokfast::Grokfast;
use modgrok_core::model::{
    ModelConfig, N_TENSORS, OptimState, Param, StepLayout, init_params, train_step,
    train_step_filtered,
};

struct Setup {
    cfg: ModelConfig,
    train: Vec<Example>,
}

fn setup() -> Setup {
    let tasks = Tasks::parse(11, "add").unwrap();
    let mut pairs = vec![(0, 0); tasks.n_pairs(Pairs::Field)];
    let n_train = tasks.split(Pairs::Field, 0.5, 0, &mut pairs).unwrap();
    let mut train = vec![Example::default(); tasks.n_examples(n_train)];
    tasks.fill_examples(&pairs[..n_train], &mut train).unwrap();
    let cfg = ModelConfig {
        d_vocab: tasks.d_vocab(),
        d_model: 16,
        n_heads: 2,
        d_head: 8,
        d_mlp: 32,
    };
    Setup { cfg, train }
}

/// θ after `steps` full-batch steps, and the filter's state (empty without a filter).
fn run(
    s: &Setup,
    filter: Option<Grokfast>,
    frozen: &[bool; N_TENSORS],
    steps: u32,
) -> (Vec<f32>, Vec<f32>) {
    let cfg = &s.cfg;
    let n = cfg.n_params();
    let mut params = vec![0.0f32; n];
    init_params(cfg, 0, &mut params).unwrap();
    let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut opt = OptimState {
        m: &mut m,
        v: &mut v,
        step: 0,
    };
    let lay = StepLayout::new(cfg).unwrap();
    let mut ws = vec![0.0f32; lay.workspace_len(s.train.len())];
    let mut touches = vec![0u32; lay.touches_len(s.train.len())];
    let mut state = vec![0.0f32; filter.map_or(0, |f| f.state_len(n))];
    let hyper = AdamWConfig::default();
    for _ in 0..steps {
        match &filter {
            None => train_step(
                cfg,
                &hyper,
                frozen,
                &mut params,
                &mut opt,
                &s.train,
                None,
                1,
                &mut ws,
                &mut touches,
            ),
            Some(f) => train_step_filtered(
                cfg,
                &hyper,
                Some((f, &mut state)),
                frozen,
                &mut params,
                &mut opt,
                &s.train,
                None,
                1,
                &mut ws,
                &mut touches,
            ),
        }
        .unwrap();
    }
    (params, state)
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn lambda_zero_leaves_adamw_bit_identical_and_lambda_positive_does_not() {
    let s = setup();
    let none = [false; N_TENSORS];
    let (plain, _) = run(&s, None, &none, 5);
    for (zero, on) in [
        (
            Grokfast::Ema {
                alpha: 0.98,
                lamb: 0.0,
            },
            Grokfast::EMA,
        ),
        (
            Grokfast::Ma {
                window: 2,
                lamb: 0.0,
            },
            Grokfast::Ma {
                window: 2,
                lamb: 5.0,
            },
        ),
    ] {
        let (p0, state) = run(&s, Some(zero), &none, 5);
        assert_eq!(bits(&p0), bits(&plain), "{zero:?}");
        assert!(state.iter().any(|&x| x != 0.0), "the state was filled");
        let (p1, _) = run(&s, Some(on), &none, 5);
        assert_ne!(bits(&p1), bits(&plain), "{on:?} changes the update");
    }
}

#[test]
fn a_frozen_tensor_keeps_its_parameters_and_a_zero_filter_state() {
    let s = setup();
    let mut frozen = [false; N_TENSORS];
    frozen[Param::WE as usize] = true;
    let info = s.cfg.tensors()[Param::WE as usize];
    for gf in [
        Grokfast::EMA,
        Grokfast::Ma {
            window: 3,
            lamb: 5.0,
        },
    ] {
        let (params, state) = run(&s, Some(gf), &frozen, 4);
        let mut init = vec![0.0f32; s.cfg.n_params()];
        init_params(&s.cfg, 0, &mut init).unwrap();
        let r = info.range();
        assert_eq!(bits(&params[r.clone()]), bits(&init[r.clone()]));
        let per = gf.per_element();
        let frozen_state = &state[r.start * per..r.end * per];
        assert!(frozen_state.iter().all(|&x| x == 0.0), "{gf:?}");
        assert!(state.iter().any(|&x| x != 0.0), "{gf:?}: others filtered");
    }
}
