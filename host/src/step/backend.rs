//! Where the training step runs (`--backend`): `cpu` is core's step on rayon threads, the
//! reference bits on any machine; `gpu` is modgrok-gpu's compute shaders, which keep θ, m and v
//! on the device and match core within the tolerances of `gpu/tests`, bit for bit only on the
//! same adapter and driver. That is why a gpu run records its adapter in `config.json` and
//! resumes only on that adapter.
use modgrok_core::model::{
    EvalStats, N_TENSORS, StepLayout, Sums, evaluate, gradients, init_params, prepare_with,
};
#[cfg(feature = "gpu")]
use modgrok_gpu::GpuTrainer;

use crate::config::RunConfig;
use crate::error::HostError;
#[cfg(feature = "gpu")]
use crate::step::batch::BatchMember;
use crate::step::batch::GpuBatch;
use crate::step::dataset::Dataset;
use crate::step::huge::HugeBuf;
use crate::step::parallel::Parallel;

/// The GPU a run steps on.
#[cfg(feature = "gpu")]
pub use modgrok_gpu::GpuContext;

/// Without the `gpu` feature there is no GPU to step on: this type has no values.
#[cfg(not(feature = "gpu"))]
pub enum GpuContext {}

/// Opens the GPU for `--backend gpu`.
#[cfg(feature = "gpu")]
pub fn open_gpu() -> Result<GpuContext, HostError> {
    Ok(GpuContext::new()?)
}

/// Refuses `--backend gpu`: this modgrok was built without it.
#[cfg(not(feature = "gpu"))]
pub fn open_gpu() -> Result<GpuContext, HostError> {
    Err(HostError::NoGpuFeature)
}

#[cfg(feature = "gpu")]
fn adapter_name(ctx: &GpuContext) -> String {
    ctx.adapter_name()
}

#[cfg(not(feature = "gpu"))]
fn adapter_name(ctx: &GpuContext) -> String {
    match *ctx {}
}

#[cfg(feature = "gpu")]
fn batch_adapter(batch: &GpuBatch) -> String {
    batch.adapter().to_string()
}

#[cfg(not(feature = "gpu"))]
fn batch_adapter(batch: &GpuBatch) -> String {
    match *batch {}
}

/// Opens the device a new run needs (none when it joins `batch`, which has one), and returns
/// the config with its adapter recorded.
pub fn open(
    cfg: &RunConfig,
    batch: Option<&GpuBatch>,
) -> Result<(RunConfig, Option<GpuContext>), HostError> {
    let mut cfg = cfg.clone();
    if cfg.backend.is_cpu() {
        cfg.adapter = None;
        return Ok((cfg, None));
    }
    if let Some(b) = batch {
        cfg.adapter = Some(batch_adapter(b));
        return Ok((cfg, None));
    }
    let ctx = open_gpu()?;
    cfg.adapter = Some(adapter_name(&ctx));
    Ok((cfg, Some(ctx)))
}

/// Opens the device a run being resumed used (none when it joins `batch`); another adapter
/// would not continue to the bytes of a run that never stopped, so it is refused.
pub fn reopen(cfg: &RunConfig, batch: Option<&GpuBatch>) -> Result<Option<GpuContext>, HostError> {
    if cfg.backend.is_cpu() {
        return Ok(None);
    }
    let (name, ctx) = match batch {
        Some(b) => (batch_adapter(b), None),
        None => {
            let ctx = open_gpu()?;
            (adapter_name(&ctx), Some(ctx))
        }
    };
    match &cfg.adapter {
        Some(a) if *a == name => Ok(ctx),
        recorded => Err(HostError::Usage(format!(
            "this run was trained on GPU adapter {:?} but this machine has {name:?}: resume it where that adapter is, since another one would not give the same bytes",
            recorded.as_deref().unwrap_or("(none recorded)")
        ))),
    }
}

/// The training step of one run on its backend. θ, m and v are the host's copies; on the gpu
/// they are current only after [`Stepper::sync`].
pub enum Stepper {
    Cpu(Box<CpuStep>),
    #[cfg(feature = "gpu")]
    Gpu(Box<GpuTrainer>),
    /// One run of a [`GpuBatch`].
    #[cfg(feature = "gpu")]
    Batched(BatchMember),
}

/// core's step with its buffers.
pub struct CpuStep {
    runner: Parallel,
    cache: HugeBuf,
    acc: HugeBuf,
    kept: HugeBuf,
    touches: Vec<u32>,
    grads: Vec<f32>,
}

impl CpuStep {
    /// [`Stepper::gradients`] on the cpu.
    fn gradients(
        &mut self,
        cfg: &RunConfig,
        data: &Dataset,
        params: &[f32],
        log: bool,
    ) -> Result<Option<(EvalStats, EvalStats)>, HostError> {
        let model = cfg.model;
        let n_tasks = data.tasks.len();
        prepare_with(&model, params, &mut self.cache, &mut self.runner)?;
        let train = gradients(
            &model,
            params,
            &mut self.cache,
            &data.train,
            n_tasks,
            Sums {
                acc: &mut self.acc,
                kept: &mut self.kept,
                touches: &mut self.touches,
            },
            &mut self.grads,
            &mut self.runner,
        )?;
        if !log {
            return Ok(None);
        }
        let test = evaluate(
            &model,
            params,
            &self.cache,
            &data.test,
            n_tasks,
            &mut self.runner,
        )?;
        Ok(Some((train, test)))
    }
}

impl Stepper {
    /// A stepper starting from θ, m, v (core's layout) and the Grokfast state `filter` (empty
    /// without a filter): in `batch` for a gpu run given one, on `gpu`, or on the cpu.
    #[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: &RunConfig,
        data: &Dataset,
        gpu: Option<&GpuContext>,
        batch: Option<&std::sync::Arc<GpuBatch>>,
        threads: usize,
        [params, m, v]: [&[f32]; 3],
        filter: &[f32],
    ) -> Result<Stepper, HostError> {
        let model = cfg.model;
        #[cfg(not(feature = "gpu"))]
        if let Some(ctx) = gpu {
            match *ctx {}
        }
        #[cfg(not(feature = "gpu"))]
        if let Some(b) = batch {
            match **b {}
        }
        #[cfg(feature = "gpu")]
        if let Some(b) = batch.filter(|_| !cfg.backend.is_cpu()) {
            return Ok(Stepper::Batched(b.join(
                cfg,
                data,
                [params, m, v],
                filter,
                threads,
            )?));
        }
        #[cfg(feature = "gpu")]
        if let Some(ctx) = gpu {
            let frozen: [bool; N_TENSORS] = cfg.frozen();
            let mut t = GpuTrainer::new_filtered(
                ctx,
                &model,
                &cfg.adamw,
                cfg.grokfast.as_ref().map(|gf| (gf, filter)),
                &frozen,
                &data.train,
                &data.test,
                data.tasks.len(),
                [params, m, v],
            )?;
            t.set_eval_threads(threads);
            return Ok(Stepper::Gpu(Box::new(t)));
        }
        let lay = StepLayout::new(&model)?;
        let runner = Parallel::new(&lay, threads).map_err(|e| HostError::Threads {
            threads,
            reason: e.to_string(),
        })?;
        Ok(Stepper::Cpu(Box::new(CpuStep {
            runner,
            cache: HugeBuf::zeroed(lay.cache_len()),
            acc: HugeBuf::zeroed(lay.acc_len()),
            kept: HugeBuf::zeroed(lay.kept_len(data.train.len())),
            touches: vec![0; lay.touches_len(data.train.len())],
            grads: vec![0.0; model.n_params()],
        })))
    }

    /// The gradient at the current θ, that of step `t`, kept for [`Stepper::update`]; with `log`,
    /// also the train and test loss and accuracy at θ (SPEC §4: metrics of epoch t before its
    /// update).
    #[cfg_attr(not(feature = "gpu"), allow(unused_variables))]
    pub fn gradients(
        &mut self,
        cfg: &RunConfig,
        data: &Dataset,
        params: &[f32],
        t: u64,
        log: bool,
    ) -> Result<Option<(EvalStats, EvalStats)>, HostError> {
        match self {
            Stepper::Cpu(c) => {
                // On one of the pool's threads, the step's many parallel calls start there
                // rather than each handing its work over from this thread and waiting for it.
                let pool = c.runner.pool();
                pool.install(|| c.gradients(cfg, data, params, log))
            }
            #[cfg(feature = "gpu")]
            Stepper::Gpu(g) => {
                g.forward_backward()?;
                Ok(if log { Some(g.metrics()?) } else { None })
            }
            #[cfg(feature = "gpu")]
            Stepper::Batched(b) => b.gradients(t, log),
        }
    }

    /// AdamW update number `t` with the last gradient, passed first through the run's Grokfast
    /// filter if it has one; `filter` is that filter's state (empty without one).
    pub fn update(
        &mut self,
        cfg: &RunConfig,
        t: u64,
        [params, m, v]: [&mut [f32]; 3],
        filter: &mut [f32],
    ) -> Result<(), HostError> {
        match self {
            Stepper::Cpu(c) => {
                let frozen: [bool; N_TENSORS] = cfg.frozen();
                if let Some(gf) = &cfg.grokfast {
                    c.runner
                        .grokfast_step(&cfg.model, gf, t, &frozen, &mut c.grads, filter);
                }
                c.runner
                    .adamw_step(&cfg.model, &cfg.adamw, t, &frozen, params, &c.grads, m, v);
            }
            #[cfg(feature = "gpu")]
            Stepper::Gpu(g) => g.update(t)?,
            #[cfg(feature = "gpu")]
            Stepper::Batched(b) => b.update(t)?,
        }
        Ok(())
    }

    /// Copies θ, and with `moments` also m, v and the Grokfast state, from the device into the
    /// host's copies; the cpu's copies are always current.
    #[cfg_attr(not(feature = "gpu"), allow(unused_variables, clippy::ptr_arg))]
    pub fn sync(
        &mut self,
        params: &mut Vec<f32>,
        moments: Option<(&mut Vec<f32>, &mut Vec<f32>, &mut Vec<f32>)>,
    ) -> Result<(), HostError> {
        #[cfg(feature = "gpu")]
        match self {
            Stepper::Gpu(g) => match moments {
                None => *params = g.params()?,
                Some((m, v, filter)) => {
                    [*params, *m, *v] = g.state()?;
                    *filter = g.filter_state()?;
                }
            },
            Stepper::Batched(b) => b.sync(params, moments)?,
            Stepper::Cpu(_) => {}
        }
        Ok(())
    }
}

/// A fresh cpu run of `cfg` (its seed's init and split) stepping exactly as `modgrok train`
/// does, with no run directory and no metrics: what the step benches and examples time.
pub struct BenchStep {
    pub cfg: RunConfig,
    pub data: Dataset,
    pub params: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    filter: Vec<f32>,
    stepper: Stepper,
    t: u64,
}

impl BenchStep {
    pub fn new(cfg: RunConfig, threads: usize) -> Result<Self, HostError> {
        let cfg = cfg.derived()?;
        let data = Dataset::build(&cfg)?;
        let model = cfg.model;
        let n = model.n_params();
        let mut params = vec![0.0; n];
        init_params(&model, cfg.seed, &mut params)?;
        let (m, v) = (vec![0.0; n], vec![0.0; n]);
        let filter = vec![0.0; cfg.grokfast.map_or(0, |gf| gf.state_len(n))];
        let stepper = Stepper::new(&cfg, &data, None, None, threads, [&params, &m, &v], &filter)?;
        Ok(BenchStep {
            cfg,
            data,
            params,
            m,
            v,
            filter,
            stepper,
            t: 0,
        })
    }

    /// One step: the gradient at θ, then the AdamW update.
    pub fn step(&mut self) -> Result<(), HostError> {
        self.stepper
            .gradients(&self.cfg, &self.data, &self.params, self.t, false)?;
        self.t += 1;
        self.stepper.update(
            &self.cfg,
            self.t,
            [&mut self.params, &mut self.m, &mut self.v],
            &mut self.filter,
        )
    }
}

#[cfg(all(test, not(feature = "gpu")))]
mod tests {
    #[test]
    fn without_the_gpu_feature_backend_gpu_is_a_usage_error_in_one_line() {
        let err = super::open_gpu().err().expect("no GPU without the feature");
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        let text = err.to_string();
        assert!(text.contains("without the gpu feature"), "{text}");
        assert_eq!(text.lines().count(), 1);
    }
}
