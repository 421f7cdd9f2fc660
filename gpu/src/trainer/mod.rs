//! The full-batch training step (SPEC §3, §4) as a fixed list of compute dispatches.
//!
//! Everything lives in one f32 arena per run on the device: θ, gradients, m, v, the per-token
//! tables and the per-example activations, at offsets fixed when the trainer is made. A step is
//! SPEC §3's fast path, as core's `model::fast` takes it:
//!
//! 1. tokens: `q, k, v [V, H·d_head] = W_E^T W_{Q,K,V}^T`; the head-output maps `W_in W_O`,
//!    `W_U^T W_O` and the neuron-logit map `W_U^T W_out`; the token tables `p = [W_in e; W_in o]`
//!    [V, 1 + H, M] and `l = [W_U^T e; W_U^T o]` [V, 1 + H, V], the o rows through the head-output
//!    maps (`o[t, h] = W_O[:, h] v[t, h]` is never formed);
//! 2. examples (rows n of [N, ·]): attention at position 2, then, with r = e[t_2] + Σ a·o,
//!    `m = ReLU(W_in r)` and `logits = W_U^T r + neuron_logit_map · m`, both read off the tables;
//! 3. `dl = dL/dlogits` (mean cross-entropy per task, summed over tasks);
//! 4. the neuron-logit map's gradient `dl^T m` (a sum over all N examples), then
//!    `dpre = (dl · neuron_logit_map) ⊙ [m > 0]` in m's place;
//! 5. attention backward per example; per token, the tables' gradient sums and `dq, dk`,
//!    gathered over each token's examples;
//! 6. `dv` and the maps' gradients from the tables' sums;
//! 7. every weight's gradient as GEMMs over the vocabulary and the maps;
//! 8. AdamW per tensor.
//!
//! That is about half the FLOPs of the direct step (per-example products with W_in, W_out
//! and W_U), and the activations kept per example shrink from 4·D + 2·M + 2·V to M + 2·V.
//!
//! Every value is written by one invocation that adds its terms in a fixed order (k ascending
//! in matmuls, examples ascending in gathers), or by a second pass that adds such partial sums
//! in a fixed order (a long k's slices, a token's example chunks), the cuts set by the run's
//! shape and data alone; there are no atomics. So the same inputs on the
//! same adapter and driver give the same bits, while another adapter may round differently
//! (fused multiply-add, `exp` and `sqrt` accuracy) and is only close to core (SPEC §6).
mod arena;
mod ids;
mod kernel;
mod passes;
mod recorder;

use std::num::NonZeroU64;
use std::sync::mpsc;

use modgrok_core::Error;
use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::Example;
use modgrok_core::grokfast::Grokfast;
use modgrok_core::model::{EvalStats, ModelConfig, N_TENSORS, task_scales};

use self::arena::Arena;
use self::ids::{build_ids, eval_stats};
pub(crate) use self::kernel::Compiled;
use self::kernel::{Kernel, SLOT, SLOT_WORDS};
use self::passes::{record_adamw, record_test, record_train};
use self::recorder::{Op, Recorder};
use crate::{GpuContext, GpuError};

struct Dispatch {
    kernel: Kernel,
    bind: wgpu::BindGroup,
    groups: [u32; 3],
    head: [usize; 3],
}

/// One run of a batch ([`GpuTrainer::new_batch`]): its examples and its state.
#[derive(Debug, Clone, Copy)]
pub struct BatchRun<'a> {
    pub train: &'a [Example],
    pub test: &'a [Example],
    /// θ, m, v, each `cfg.n_params()` long (core's layout).
    pub state: [&'a [f32]; 3],
    /// The Grokfast filter's state h: `cfg.n_params()` long with a filter, else empty.
    pub filter: &'a [f32],
}

/// Each run's train and test metrics, and each run's θ ([`GpuTrainer::logged_of`]), in the
/// order asked for.
pub type Logged = (Vec<(EvalStats, EvalStats)>, Vec<Vec<f32>>);

/// Models of one shape, their optimizer states and their data on one device, stepping
/// without coming back to the host until asked for metrics or state. Every dispatch steps all
/// the runs of the batch; each run has its own arenas at the offsets of a run alone, and every
/// sum of a run is the same loop in the same order whatever the batch, so a run's bytes do not
/// depend on the runs beside it.
pub struct GpuTrainer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: String,
    cfg: ModelConfig,
    hyper: AdamWConfig,
    grokfast: Option<Grokfast>,
    n_tasks: usize,
    /// Each run's train and test examples (the same counts in every run).
    train: Vec<Vec<Example>>,
    test: Vec<Vec<Example>>,
    arena: Arena,
    mem: wgpu::Buffer,
    staging: wgpu::Buffer,
    pipelines: Vec<wgpu::ComputePipeline>,
    train_pass: Vec<Dispatch>,
    test_pass: Vec<Dispatch>,
    test_one_pass: Vec<Dispatch>,
    adam_pass: Vec<Dispatch>,
    in_flight: std::collections::VecDeque<wgpu::SubmissionIndex>,
    eval_threads: usize,
    /// An update recorded by [`Self::update_runs`] and not yet submitted.
    update_pending: bool,
}

impl GpuTrainer {
    /// Uploads θ, m, v (each `cfg.n_params()` long, core's layout) and the examples. `frozen`
    /// tensors get no update and no weight decay, as in core's `adamw_step`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &GpuContext,
        cfg: &ModelConfig,
        hyper: &AdamWConfig,
        frozen: &[bool; N_TENSORS],
        train: &[Example],
        test: &[Example],
        n_tasks: usize,
        state: [&[f32]; 3],
    ) -> Result<GpuTrainer, GpuError> {
        Self::new_filtered(ctx, cfg, hyper, None, frozen, train, test, n_tasks, state)
    }

    /// [`Self::new`] with a Grokfast filter before AdamW and its state (`n_params` long: h);
    /// only the ema filter runs here ([`GpuError::NoMaFilter`]).
    #[allow(clippy::too_many_arguments)]
    pub fn new_filtered(
        ctx: &GpuContext,
        cfg: &ModelConfig,
        hyper: &AdamWConfig,
        filter: Option<(&Grokfast, &[f32])>,
        frozen: &[bool; N_TENSORS],
        train: &[Example],
        test: &[Example],
        n_tasks: usize,
        state: [&[f32]; 3],
    ) -> Result<GpuTrainer, GpuError> {
        let run = BatchRun {
            train,
            test,
            state,
            filter: filter.map_or(&[][..], |(_, h)| h),
        };
        Self::new_batch(
            ctx,
            cfg,
            hyper,
            filter.map(|(gf, _)| gf),
            frozen,
            n_tasks,
            &[run],
        )
    }

    /// A batch of runs of one model shape, optimizer, filter and frozen set, whose train and
    /// test sets have the same sizes (the same p, fraction and pairs; any seeds and ops of one
    /// vocabulary). Run r is addressed as `r` by the per-run methods ([`Self::state_of`], …).
    #[allow(clippy::too_many_arguments)]
    pub fn new_batch(
        ctx: &GpuContext,
        cfg: &ModelConfig,
        hyper: &AdamWConfig,
        grokfast: Option<&Grokfast>,
        frozen: &[bool; N_TENSORS],
        n_tasks: usize,
        runs: &[BatchRun<'_>],
    ) -> Result<GpuTrainer, GpuError> {
        cfg.validate()?;
        hyper.validate()?;
        let n_params = cfg.n_params();
        if let Some(gf) = grokfast {
            gf.validate()?;
            if !matches!(gf, Grokfast::Ema { .. }) {
                return Err(GpuError::NoMaFilter);
            }
        }
        let Some(first) = runs.first() else {
            return Err(GpuError::Batch("a batch needs at least one run".into()));
        };
        let (n_train, n_test) = (first.train.len(), first.test.len());
        let filter_len = if grokfast.is_some() { n_params } else { 0 };
        let mut ids = Vec::new();
        let mut id = None;
        // Each run's per-example weight 1/N_task of its train examples.
        let mut scales = Vec::with_capacity(runs.len());
        for (r, run) in runs.iter().enumerate() {
            if (run.train.len(), run.test.len()) != (n_train, n_test) {
                return Err(GpuError::Batch(format!(
                    "run {r} has {} train and {} test examples, run 0 {n_train} and {n_test}: batch only runs of one p, fraction and pairs",
                    run.train.len(),
                    run.test.len()
                )));
            }
            for s in run.state {
                check_len(s.len(), n_params)?;
            }
            check_len(run.filter.len(), filter_len)?;
            let task_weight = task_scales(cfg, run.train, n_tasks)?;
            task_scales(cfg, run.test, n_tasks)?;
            let run_scales: Vec<f32> = run
                .train
                .iter()
                .map(|e| task_weight[e.task as usize] as f32)
                .collect();
            scales.push(run_scales);
            let (run_ids, run_id) = build_ids(cfg.d_vocab, run.train, run.test);
            ids.extend(run_ids);
            id = Some(run_id);
        }
        let id = id.expect("runs is not empty");
        let ids_len = ids.len() / runs.len();
        let adapter = ctx.adapter_name();
        let arena = passes::arena(cfg, n_train, n_test, filter_len);
        let limits = ctx.device.limits();
        let k = runs.len();
        let staging_len = (k * ((n_train + n_test) * cfg.d_vocab + n_params)).max(4 * n_params);
        let max = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        let one_run = 4 * arena.len as u64;
        if k > 1 && one_run * k as u64 > max.min(u32::MAX as u64) {
            return Err(GpuError::Batch(format!(
                "{k} runs need {} bytes in one buffer and adapter {adapter} binds at most {}: lower --batch-runs to {} or less, or pass --batch-runs auto",
                one_run * k as u64,
                max.min(u32::MAX as u64),
                (max.min(u32::MAX as u64) / one_run).max(1)
            )));
        }
        for need in [k * arena.len, ids.len(), staging_len] {
            let need = 4 * need as u64;
            if need > max || need > u32::MAX as u64 {
                return Err(GpuError::TooLarge {
                    adapter,
                    need,
                    max: max.min(u32::MAX as u64),
                });
            }
        }
        if !(SLOT as u32).is_multiple_of(limits.min_uniform_buffer_offset_alignment) {
            return Err(GpuError::Device {
                adapter,
                reason: format!(
                    "uniform offset alignment {} does not divide {SLOT}",
                    limits.min_uniform_buffer_offset_alignment
                ),
            });
        }

        let mut rec = Recorder {
            direct: ctx.cpu_kernels(),
            runs: k,
            split_scratch: arena.split,
            ..Recorder::default()
        };
        let mut train_ops = Vec::new();
        let mut test_ops = Vec::new();
        let mut test_one_ops = Vec::new();
        let mut adam_ops = Vec::new();
        record_train(&mut rec, &mut train_ops, cfg, &arena, &id, n_train);
        let test = [id.test_tok, n_train, n_test];
        record_test(&mut rec, &mut test_ops, cfg, &arena, test);
        // The test pass of one run (`Runs` slot 1 + r), for when only some runs log.
        rec.runs = 1;
        record_test(&mut rec, &mut test_one_ops, cfg, &arena, test);
        rec.runs = k;
        let adam_slots = record_adamw(
            &mut rec,
            &mut adam_ops,
            cfg,
            &arena,
            frozen,
            grokfast.is_some(),
        );
        assert!(
            arena.split + rec.split_need <= arena.len,
            "the split scratch is sized by recording the same passes"
        );
        if rec.overflow {
            return Err(GpuError::TooLarge {
                adapter,
                need: u64::MAX,
                max: u32::MAX as u64,
            });
        }
        // The optimizer's constant scalars (words 8..15 and, for the ema filter, 20..22); the
        // per-step ones live in each run's arena (`Arena::sc`).
        let (alpha, lamb) = match grokfast {
            Some(Grokfast::Ema { alpha, lamb }) => (*alpha, *lamb),
            _ => (0.0, 0.0),
        };
        let constants = [
            (1.0 - hyper.lr * hyper.weight_decay) as f32,
            (1.0 - hyper.beta1) as f32,
            hyper.beta2 as f32,
            (1.0 - hyper.beta2) as f32,
            0.0,
            0.0,
            hyper.eps as f32,
            0.0,
        ];
        for slot in adam_slots {
            let w = &mut rec.words[slot * SLOT_WORDS..(slot + 1) * SLOT_WORDS];
            for (x, v) in w[8..16].iter_mut().zip(constants) {
                *x = v.to_bits();
            }
            if grokfast.is_some() {
                w[20] = (alpha as f32).to_bits();
                w[21] = ((1.0 - alpha) as f32).to_bits();
                w[22] = (lamb as f32).to_bits();
            }
        }

        let device = ctx.device.clone();
        let queue = ctx.queue.clone();
        let mem = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok arena"),
            size: 4 * (k * arena.len) as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let ids_buf = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok ids"),
            size: 4 * ids.len().max(1) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok readback"),
            size: 4 * staging_len as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok uniforms"),
            size: 4 * rec.words.len().max(SLOT_WORDS) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let batch = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("modgrok runs"),
            size: (SLOT * (1 + k)) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        queue.write_buffer(&uniforms, 0, &u32_bytes(&rec.words));
        queue.write_buffer(&ids_buf, 0, &u32_bytes(&ids));
        // `Runs` slots: 0 every run of the batch; 1 + r run r alone.
        let mut runs_words = vec![0u32; SLOT_WORDS * (1 + k)];
        for (slot, (count, first)) in [(k, 0)]
            .into_iter()
            .chain((0..k).map(|r| (1, r)))
            .enumerate()
        {
            let words = [arena.len, ids_len, count, first].map(|x| x as u32);
            runs_words[slot * SLOT_WORDS..][..4].copy_from_slice(&words);
        }
        queue.write_buffer(&batch, 0, &u32_bytes(&runs_words));
        for (r, run) in runs.iter().enumerate() {
            let base = r * arena.len;
            for (s, at) in run.state.iter().zip([arena.params, arena.m, arena.v]) {
                queue.write_buffer(&mem, 4 * (base + at) as u64, &f32_bytes(s));
            }
            queue.write_buffer(
                &mem,
                4 * (base + arena.filter) as u64,
                &f32_bytes(run.filter),
            );
            queue.write_buffer(
                &mem,
                4 * (base + arena.scale) as u64,
                &f32_bytes(&scales[r]),
            );
        }

        let Compiled { layout, pipelines } = ctx.compiled().clone();
        let bind = |ops: &[Op]| -> Vec<Dispatch> {
            ops.iter()
                .map(|op| Dispatch {
                    kernel: op.kernel,
                    groups: op.groups,
                    head: op.head,
                    bind: device.create_bind_group(&wgpu::BindGroupDescriptor {
                        label: None,
                        layout: &layout,
                        entries: &[
                            wgpu::BindGroupEntry {
                                binding: 0,
                                resource: mem.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 1,
                                resource: ids_buf.as_entire_binding(),
                            },
                            wgpu::BindGroupEntry {
                                binding: 2,
                                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                    buffer: &uniforms,
                                    offset: (op.slot * SLOT) as u64,
                                    size: NonZeroU64::new(SLOT as u64),
                                }),
                            },
                            wgpu::BindGroupEntry {
                                binding: 3,
                                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                    buffer: &batch,
                                    offset: 0,
                                    size: NonZeroU64::new(16),
                                }),
                            },
                        ],
                    }),
                })
                .collect()
        };
        let train_pass = bind(&train_ops);
        let test_pass = bind(&test_ops);
        let test_one_pass = bind(&test_one_ops);
        let adam_pass = bind(&adam_ops);
        Ok(GpuTrainer {
            device,
            queue,
            adapter,
            cfg: *cfg,
            hyper: *hyper,
            grokfast: grokfast.copied(),
            n_tasks,
            train: runs.iter().map(|r| r.train.to_vec()).collect(),
            test: runs.iter().map(|r| r.test.to_vec()).collect(),
            arena,
            mem,
            staging,
            pipelines,
            train_pass,
            test_pass,
            test_one_pass,
            adam_pass,
            in_flight: Default::default(),
            eval_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            update_pending: false,
        })
    }

    /// The device memory one run of a batch takes, in bytes: its arena (θ, gradients, m, v, the
    /// filter state, the token tables and the per-example activations).
    pub fn run_bytes(cfg: &ModelConfig, n_train: usize, n_test: usize, filter: bool) -> u64 {
        let filter_len = if filter { cfg.n_params() } else { 0 };
        4 * passes::arena(cfg, n_train, n_test, filter_len).len as u64
    }

    /// The adapter the trainer runs on, as [`GpuContext::adapter_name`] gives it.
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    /// The number of runs of the batch.
    pub fn runs(&self) -> usize {
        self.train.len()
    }

    /// Records `pass` for every run of the batch.
    fn encode(&self, enc: &mut wgpu::CommandEncoder, pass: &[Dispatch]) {
        self.encode_runs(enc, pass, 0);
    }

    /// Records `pass` with the `Runs` uniform of slot `slot` (0: the whole batch; 1 + r: run r).
    fn encode_runs(&self, enc: &mut wgpu::CommandEncoder, pass: &[Dispatch], slot: usize) {
        let mut cp = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: None,
            timestamp_writes: None,
        });
        for d in pass {
            cp.set_pipeline(&self.pipelines[d.kernel as usize]);
            cp.set_bind_group(0, &d.bind, &[(slot * SLOT) as u32]);
            cp.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        }
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
    }

    /// Submits and keeps at most two submissions queued, so the host never runs far ahead.
    fn submit(&mut self, enc: wgpu::CommandEncoder) -> Result<(), GpuError> {
        let idx = self.queue.submit([enc.finish()]);
        self.in_flight.push_back(idx);
        while self.in_flight.len() > 2 {
            let oldest = self.in_flight.pop_front();
            self.wait(oldest)?;
        }
        Ok(())
    }

    fn wait(&self, idx: Option<wgpu::SubmissionIndex>) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: idx,
                timeout: None,
            })
            .map(|_| ())
            .map_err(|e| self.lost(e.to_string()))
    }

    fn lost(&self, reason: String) -> GpuError {
        GpuError::Lost {
            adapter: self.adapter.clone(),
            reason,
        }
    }

    /// Forward and backward of the train set at the current θ: logits and every gradient stay
    /// on the device (read them with [`Self::train_logits`], [`Self::gradients`],
    /// [`Self::metrics`]).
    pub fn forward_backward(&mut self) -> Result<(), GpuError> {
        let mut enc = self.encoder();
        if std::mem::take(&mut self.update_pending) {
            self.encode(&mut enc, &self.adam_pass);
        }
        self.encode(&mut enc, &self.train_pass);
        self.submit(enc)
    }

    /// Submits an update that [`Self::update_runs`] left for the next submission.
    fn flush(&mut self) -> Result<(), GpuError> {
        if !std::mem::take(&mut self.update_pending) {
            return Ok(());
        }
        let mut enc = self.encoder();
        self.encode(&mut enc, &self.adam_pass);
        self.submit(enc)
    }

    /// Runs the train pass one dispatch at a time, waiting after each: (kernel, its first three
    /// uniform words (a product's m, n, k), its workgroups; seconds), for finding the slow
    /// kernel on a new adapter.
    #[doc(hidden)]
    pub fn profile_train_pass(&mut self) -> Result<Vec<(String, f64)>, GpuError> {
        self.flush()?;
        let mut out = Vec::new();
        for d in &self.train_pass {
            let start = std::time::Instant::now();
            let mut enc = self.encoder();
            self.encode(&mut enc, std::slice::from_ref(d));
            let idx = self.queue.submit([enc.finish()]);
            self.wait(Some(idx))?;
            out.push((
                format!("{:?} {:?} groups {:?}", d.kernel, d.head, d.groups),
                start.elapsed().as_secs_f64(),
            ));
        }
        Ok(out)
    }

    /// AdamW update number `t` (1, 2, …) of a batch of one (or of every run of the batch) with
    /// the gradients of the last [`Self::forward_backward`].
    pub fn update(&mut self, t: u64) -> Result<(), GpuError> {
        self.update_runs(&vec![t; self.runs()])
    }

    /// One AdamW update of every run, run r's being its update number `ts[r]` (1, 2, …): the
    /// runs of a batch need not be at the same step. The update goes to the device with the
    /// next submission (the next [`Self::forward_backward`], or any read), so a step is one
    /// submission.
    pub fn update_runs(&mut self, ts: &[u64]) -> Result<(), GpuError> {
        if ts.len() != self.runs() {
            return Err(GpuError::Batch(format!(
                "{} step numbers for a batch of {} runs",
                ts.len(),
                self.runs()
            )));
        }
        self.flush()?;
        let h = self.hyper;
        for (r, &t) in ts.iter().enumerate() {
            let t = t.max(1);
            let bc1 = 1.0 - h.beta1.powf(t as f64);
            let bc2 = 1.0 - h.beta2.powf(t as f64);
            let first = if t == 1 { 1.0 } else { 0.0 };
            let scalars = [(-(h.lr / bc1)) as f32, bc2.sqrt() as f32, first, 0.0];
            let at = r * self.arena.len + self.arena.sc;
            self.queue
                .write_buffer(&self.mem, 4 * at as u64, &f32_bytes(&scalars));
        }
        self.update_pending = true;
        Ok(())
    }

    /// Train and test loss and accuracy per task of a batch of one (run 0) at the θ of the
    /// last [`Self::forward_backward`].
    pub fn metrics(&mut self) -> Result<(EvalStats, EvalStats), GpuError> {
        let mut all = self.metrics_of(&[0])?;
        Ok(all.swap_remove(0))
    }

    /// [`Self::metrics`] of every run.
    pub fn metrics_all(&mut self) -> Result<Vec<(EvalStats, EvalStats)>, GpuError> {
        let all: Vec<usize> = (0..self.runs()).collect();
        self.metrics_of(&all)
    }

    /// [`Self::metrics`] of the runs `runs`, in that order: their test sets' forward runs now
    /// (one set of dispatches for the whole batch when `runs` is 0, 1, …, else one per run),
    /// and their logits come back to go through core's f64 cross-entropy (SPEC §4) on up to
    /// [`Self::set_eval_threads`] threads, each run's sets summed alone.
    pub fn metrics_of(&mut self, runs: &[usize]) -> Result<Vec<(EvalStats, EvalStats)>, GpuError> {
        Ok(self.read_metrics(runs, false)?.0)
    }

    /// [`Self::metrics_of`], and each of those runs' θ (core's layout) in the same readback: what
    /// a run that logs reads, and for a batch, one round trip rather than one a run.
    pub fn logged_of(&mut self, runs: &[usize]) -> Result<Logged, GpuError> {
        self.read_metrics(runs, true)
    }

    fn read_metrics(&mut self, runs: &[usize], with_params: bool) -> Result<Logged, GpuError> {
        for &r in runs {
            self.check_run(r)?;
        }
        self.flush()?;
        let voc = self.cfg.d_vocab;
        let (n_tr, n_te) = (self.train[0].len() * voc, self.test[0].len() * voc);
        let k = runs.len();
        let mut enc = self.encoder();
        let copy = |enc: &mut wgpu::CommandEncoder, r: usize, at: usize, to: usize, len: usize| {
            enc.copy_buffer_to_buffer(
                &self.mem,
                4 * (r * self.arena.len + at) as u64,
                &self.staging,
                4 * to as u64,
                4 * len as u64,
            );
        };
        let every_run = k == self.runs() && runs.iter().enumerate().all(|(i, &r)| i == r);
        if every_run {
            self.encode(&mut enc, &self.test_pass);
        }
        for (i, &r) in runs.iter().enumerate() {
            if !every_run {
                self.encode_runs(&mut enc, &self.test_one_pass, 1 + r);
            }
            copy(&mut enc, r, self.arena.logits, i * n_tr, n_tr);
            copy(
                &mut enc,
                r,
                self.arena.test_logits,
                k * n_tr + i * n_te,
                n_te,
            );
        }
        let n = if with_params { self.cfg.n_params() } else { 0 };
        let at_params = k * (n_tr + n_te);
        if n > 0 {
            for (i, &r) in runs.iter().enumerate() {
                copy(&mut enc, r, self.arena.params, at_params + i * n, n);
            }
        }
        let all = self.finish_read(enc, at_params + k * n)?;
        // Jobs (run i, set): set 0 is the train logits, 1 the test logits.
        let job = |j: usize| {
            let (i, set) = (j / 2, j % 2);
            let r = runs[i];
            match set {
                0 => eval_stats(
                    &all[i * n_tr..(i + 1) * n_tr],
                    &self.train[r],
                    voc,
                    self.n_tasks,
                ),
                _ => {
                    let at = k * n_tr + i * n_te;
                    eval_stats(&all[at..at + n_te], &self.test[r], voc, self.n_tasks)
                }
            }
        };
        let stats = each_job(2 * k, self.eval_threads, job);
        let params = match n {
            0 => Vec::new(),
            _ => all[at_params..]
                .chunks_exact(n)
                .map(<[f32]>::to_vec)
                .collect(),
        };
        Ok((
            stats.chunks_exact(2).map(|s| (s[0], s[1])).collect(),
            params,
        ))
    }

    /// The most threads [`Self::metrics_of`] evaluates logits on (at least 1; by default the
    /// machine's available parallelism). The results do not depend on it.
    pub fn set_eval_threads(&mut self, threads: usize) {
        self.eval_threads = threads.max(1);
    }

    fn check_run(&self, r: usize) -> Result<(), GpuError> {
        if r < self.runs() {
            Ok(())
        } else {
            Err(GpuError::Batch(format!(
                "no run {r} in a batch of {}",
                self.runs()
            )))
        }
    }

    /// Copies regions `(offset, len)` of run r's arena back, concatenated.
    fn read(&mut self, r: usize, regions: &[(usize, usize)]) -> Result<Vec<f32>, GpuError> {
        self.check_run(r)?;
        self.flush()?;
        let base = r * self.arena.len;
        let mut enc = self.encoder();
        let mut at = 0;
        for &(off, len) in regions {
            enc.copy_buffer_to_buffer(
                &self.mem,
                4 * (base + off) as u64,
                &self.staging,
                4 * at as u64,
                4 * len as u64,
            );
            at += len;
        }
        self.finish_read(enc, at)
    }

    fn finish_read(&mut self, enc: wgpu::CommandEncoder, len: usize) -> Result<Vec<f32>, GpuError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let idx = self.queue.submit([enc.finish()]);
        let bytes = 4 * len as u64;
        let slice = self.staging.slice(..bytes);
        let (tx, rx) = mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait(Some(idx))?;
        self.in_flight.clear();
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(self.lost(e.to_string())),
            Err(e) => return Err(self.lost(e.to_string())),
        }
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| self.lost(e.to_string()))?;
            view.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        self.staging.unmap();
        Ok(out)
    }

    /// θ of a batch of one, in core's layout.
    pub fn params(&mut self) -> Result<Vec<f32>, GpuError> {
        self.params_of(0)
    }

    /// θ of run r.
    pub fn params_of(&mut self, r: usize) -> Result<Vec<f32>, GpuError> {
        let n = self.cfg.n_params();
        self.read(r, &[(self.arena.params, n)])
    }

    /// θ, m and v of a batch of one, in core's layout.
    pub fn state(&mut self) -> Result<[Vec<f32>; 3], GpuError> {
        self.state_of(0)
    }

    /// θ, m and v of run r.
    pub fn state_of(&mut self, r: usize) -> Result<[Vec<f32>; 3], GpuError> {
        let n = self.cfg.n_params();
        let a = self.arena;
        let all = self.read(r, &[(a.params, n), (a.m, n), (a.v, n)])?;
        Ok([
            all[..n].to_vec(),
            all[n..2 * n].to_vec(),
            all[2 * n..].to_vec(),
        ])
    }

    /// The Grokfast filter's state h of a batch of one, in core's layout (empty without a
    /// filter).
    pub fn filter_state(&mut self) -> Result<Vec<f32>, GpuError> {
        self.filter_state_of(0)
    }

    /// The Grokfast filter's state h of run r.
    pub fn filter_state_of(&mut self, r: usize) -> Result<Vec<f32>, GpuError> {
        let n = if self.grokfast.is_some() {
            self.cfg.n_params()
        } else {
            0
        };
        self.read(r, &[(self.arena.filter, n)])
    }

    /// The gradient of a batch of one's last [`Self::forward_backward`] (after
    /// [`Self::update`], filtered if the trainer has a filter), in core's layout.
    pub fn gradients(&mut self) -> Result<Vec<f32>, GpuError> {
        self.gradients_of(0)
    }

    /// The gradient of run r.
    pub fn gradients_of(&mut self, r: usize) -> Result<Vec<f32>, GpuError> {
        let n = self.cfg.n_params();
        self.read(r, &[(self.arena.grads, n)])
    }

    /// Train logits [N, V] of a batch of one's last [`Self::forward_backward`].
    pub fn train_logits(&mut self) -> Result<Vec<f32>, GpuError> {
        let n = self.train[0].len() * self.cfg.d_vocab;
        self.read(0, &[(self.arena.logits, n)])
    }
}

/// `f(0), f(1), …, f(n − 1)` on up to `threads` scoped threads, worker w taking w, w + threads, ….
fn each_job<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.min(n).max(1);
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let f = &f;
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                s.spawn(move || {
                    (w..n)
                        .step_by(threads)
                        .map(|j| (j, f(j)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            let done = worker
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (j, x) in done {
                out[j] = Some(x);
            }
        }
    });
    out.into_iter().flatten().collect()
}

fn check_len(got: usize, need: usize) -> Result<(), GpuError> {
    if got == need {
        Ok(())
    } else {
        Err(Error::BufferTooSmall { need, got }.into())
    }
}

fn u32_bytes(x: &[u32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn f32_bytes(x: &[f32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}
