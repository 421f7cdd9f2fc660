//! Runs that step together on one GPU (`modgrok sweep --backend gpu --batch-runs K`): each run
//! keeps its own training loop on its own thread, and its step goes through a [`BatchMember`]
//! to the [`GpuBatch`] it joined. Runs of one shape (model, train and test sizes, tasks,
//! optimizer, filter and frozen tensors) form a group, and each phase of a group's step is one
//! set of dispatches for all of its runs ([`GpuTrainer::new_batch`]):
//!
//! - **gradients**: once every member of the group has asked, the forward and backward of the
//!   runs built in, and the metrics of those that log this step;
//! - **update**: once every member in the device batch has asked, the AdamW update of each with
//!   its own step number.
//!
//! A run that ends leaves (dropping its member); one that starts joins and is built in at a
//! later gradients phase. When the members have changed, that phase first rebuilds the device
//! batch from the members' θ, m, v and filter state. A run's sums do not depend on the runs
//! beside it, so its bytes are those of the run trained alone on the same adapter, whatever
//! joins or leaves, and a run resumes alone or in any batch to the same bytes.
//!
//! **Logging in step.** A phase in which some runs log waits for their logits to come back and
//! go through the cross-entropy on the host, while the device idles. So a joining run is built
//! in at a phase where a run of the batch with the same `--log-every` is at the same place in
//! its logging cycle (step mod `log_every`), and the runs of a batch log at the same phases,
//! their metrics evaluated together on all of their threads. It waits for that at most
//! `log_every` phases, and not at all when the batch holds no run. So that the runs a sweep
//! starts at once are built in together, a group with no run built in holds its first phase
//! until `ARRIVING` (0.2 s) has passed without a run joining it. (Timing decides only which
//! runs step together, never a run's bytes.)
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use modgrok_core::adamw::AdamWConfig;
use modgrok_core::data::Example;
use modgrok_core::grokfast::Grokfast;
use modgrok_core::model::{EvalStats, ModelConfig, N_TENSORS};
use modgrok_gpu::{BatchRun, GpuContext, GpuError, GpuTrainer};

use crate::config::RunConfig;
use crate::error::HostError;
use crate::step::dataset::Dataset;

/// How long a group with no run built in waits, after a run joined it, for more to join before
/// its first phase: the runs a sweep starts at once take about as long as each other to set up.
const ARRIVING: Duration = Duration::from_millis(200);

/// What must agree for runs to share dispatches.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    model: ModelConfig,
    n_train: usize,
    n_test: usize,
    n_tasks: usize,
    adamw: AdamWConfig,
    grokfast: Option<Grokfast>,
    frozen: [bool; N_TENSORS],
}

impl Shape {
    fn of(cfg: &RunConfig, n_train: usize, n_test: usize, n_tasks: usize) -> Shape {
        Shape {
            model: cfg.model,
            n_train,
            n_test,
            n_tasks,
            adamw: cfg.adamw,
            grokfast: cfg.grokfast,
            frozen: cfg.frozen(),
        }
    }
}

/// The order in which a batched sweep starts the runs `cfgs` (indices into it): the runs of one
/// shape next to each other, shapes in the order of their first run, each shape's runs in their
/// given order. Runs in flight at once then form few groups, and each group's dispatches serve
/// many runs. (A run's bytes never depend on this order.)
pub fn shape_order(cfgs: &[&RunConfig]) -> Result<Vec<usize>, HostError> {
    let mut shapes: Vec<(Shape, Vec<usize>)> = Vec::new();
    for (i, cfg) in cfgs.iter().enumerate() {
        let (n_train, n_test) = Dataset::sizes(cfg)?;
        let shape = Shape::of(cfg, n_train, n_test, cfg.tasks()?.len());
        match shapes.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, runs)) => runs.push(i),
            None => shapes.push((shape, vec![i])),
        }
    }
    Ok(shapes.into_iter().flat_map(|(_, runs)| runs).collect())
}

/// θ, m, v and the filter state of a run not (yet) on the device.
type HostState = [Vec<f32>; 4];

type Stats = Option<(EvalStats, EvalStats)>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Nothing,
    /// The gradient at the run's step `t`, with its metrics when `log`.
    Gradients {
        t: u64,
        log: bool,
    },
    Update {
        t: u64,
    },
}

enum Reply {
    Gradients(Result<Box<Stats>, String>),
    Update(Result<(), String>),
}

struct Member {
    id: u64,
    /// The run's `--threads`: a phase's logged metrics are evaluated on the members' threads,
    /// which wait for it.
    threads: usize,
    /// The run's `--log-every`.
    log_every: u64,
    /// Gradients phases it has waited through to be built in.
    waited: u64,
    train: Vec<Example>,
    test: Vec<Example>,
    /// Its run index in the group's device batch, once built in.
    slot: Option<usize>,
    /// Its state until it is built in.
    joining: Option<HostState>,
    /// θ as its last gradients phase read it with its metrics, until its next update.
    logged: Option<Vec<f32>>,
    want: Want,
    reply: Option<Reply>,
}

struct Group {
    shape: Shape,
    trainer: Option<GpuTrainer>,
    /// Whether members left since `trainer` was built (one that joins is built in by a
    /// rebuild of its own).
    stale: bool,
    members: Vec<Member>,
    /// When a run last joined.
    joined_at: Instant,
}

/// The device and the groups of runs stepping on it.
pub struct GpuBatch {
    ctx: GpuContext,
    adapter: String,
    groups: Mutex<(u64, Vec<Group>)>,
    changed: Condvar,
}

impl std::fmt::Debug for GpuBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuBatch({})", self.adapter)
    }
}

impl GpuBatch {
    /// Opens the GPU the batch steps on.
    pub fn open() -> Result<Arc<GpuBatch>, HostError> {
        let ctx = GpuContext::new()?;
        Ok(Arc::new(GpuBatch {
            adapter: ctx.adapter_name(),
            ctx,
            groups: Mutex::new((0, Vec::new())),
            changed: Condvar::new(),
        }))
    }

    /// The largest buffer a batch may bind, in bytes ([`GpuContext::max_binding_bytes`]).
    pub fn max_binding_bytes(&self) -> u64 {
        self.ctx.max_binding_bytes()
    }

    /// The adapter, as a run's `config.json` records it.
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    fn lock(&self) -> MutexGuard<'_, (u64, Vec<Group>)> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins the group of `cfg`'s shape with this state (core's layout; `filter` empty without a
    /// filter); the run is built into the device batch at the group's next gradients phase.
    pub fn join(
        self: &Arc<Self>,
        cfg: &RunConfig,
        data: &Dataset,
        [params, m, v]: [&[f32]; 3],
        filter: &[f32],
        threads: usize,
    ) -> Result<BatchMember, HostError> {
        if matches!(cfg.grokfast, Some(Grokfast::Ma { .. })) {
            return Err(GpuError::NoMaFilter.into());
        }
        let shape = Shape::of(cfg, data.train.len(), data.test.len(), data.tasks.len());
        let mut g = self.lock();
        let (next_id, groups) = &mut *g;
        let id = *next_id;
        *next_id += 1;
        let member = Member {
            id,
            threads,
            log_every: cfg.log_every.max(1),
            waited: 0,
            train: data.train.clone(),
            test: data.test.clone(),
            slot: None,
            joining: Some([params.to_vec(), m.to_vec(), v.to_vec(), filter.to_vec()]),
            logged: None,
            want: Want::Nothing,
            reply: None,
        };
        match groups.iter_mut().find(|gr| gr.shape == shape) {
            Some(group) => {
                group.members.push(member);
                group.joined_at = Instant::now();
            }
            None => groups.push(Group {
                shape,
                trainer: None,
                stale: true,
                members: vec![member],
                joined_at: Instant::now(),
            }),
        }
        Ok(BatchMember {
            batch: self.clone(),
            id,
        })
    }

    /// Runs the group's phase if every member it waits for has asked, and hands out replies.
    fn advance(&self, group: &mut Group) {
        let in_batch = || group.members.iter().filter(|m| m.slot.is_some());
        let arriving = in_batch().count() == 0 && group.joined_at.elapsed() < ARRIVING;
        let all_want_gradients = !arriving
            && !group.members.is_empty()
            && group
                .members
                .iter()
                .all(|m| matches!(m.want, Want::Gradients { .. }));
        let all_want_update =
            in_batch().count() > 0 && in_batch().all(|m| matches!(m.want, Want::Update { .. }));
        if all_want_gradients {
            let result = self.gradients(group);
            for (m, r) in group.members.iter_mut().zip(result) {
                match r {
                    Some(r) => {
                        m.want = Want::Nothing;
                        m.reply = Some(Reply::Gradients(r));
                    }
                    None => m.waited += 1,
                }
            }
            self.changed.notify_all();
        } else if all_want_update {
            let result = self.update(group);
            for m in group.members.iter_mut().filter(|m| m.slot.is_some()) {
                m.want = Want::Nothing;
                m.logged = None;
                m.reply = Some(Reply::Update(result.clone()));
            }
            self.changed.notify_all();
        }
    }

    /// Which members a gradients phase steps: those built in, and the joining ones that are
    /// built in now (see the module's *logging in step*).
    fn stepping(group: &Group) -> Vec<bool> {
        let cycle = |m: &Member| match m.want {
            Want::Gradients { t, .. } => Some((m.log_every, t % m.log_every)),
            _ => None,
        };
        let cycles: Vec<_> = group
            .members
            .iter()
            .filter(|m| m.slot.is_some())
            .map(cycle)
            .collect();
        group
            .members
            .iter()
            .map(|m| {
                m.slot.is_some()
                    || cycles.is_empty()
                    || cycles.contains(&cycle(m))
                    || m.waited >= m.log_every
            })
            .collect()
    }

    /// The gradients phase (after rebuilding the device batch if its members changed): for each
    /// member that steps, its metrics if it asked for them; `None` for one that waits.
    fn gradients(&self, group: &mut Group) -> Vec<Option<Result<Box<Stats>, String>>> {
        let all_err = |e: String, n: usize| vec![Some(Err(e)); n];
        let n = group.members.len();
        let stepping = Self::stepping(group);
        let joins = group
            .members
            .iter()
            .zip(&stepping)
            .any(|(m, &s)| s && m.slot.is_none());
        if (group.stale || joins || group.trainer.is_none())
            && let Err(e) = self.rebuild(group, &stepping)
        {
            return all_err(e.to_string(), n);
        }
        let Some(trainer) = group.trainer.as_mut() else {
            return all_err("the batch has no device trainer".into(), n);
        };
        if let Err(e) = trainer.forward_backward() {
            return all_err(e.to_string(), n);
        }
        let logging: Vec<usize> = group
            .members
            .iter()
            .filter(|m| matches!(m.want, Want::Gradients { log: true, .. }))
            .filter_map(|m| m.slot)
            .collect();
        let (stats, mut params) = match logging.is_empty() {
            false => match trainer.logged_of(&logging) {
                Ok(s) => s,
                Err(e) => return all_err(e.to_string(), n),
            },
            true => (Vec::new(), Vec::new()),
        };
        group
            .members
            .iter_mut()
            .map(|m| match (m.want, m.slot) {
                (_, None) => None,
                (Want::Gradients { log: true, .. }, Some(s)) => {
                    let at = logging.iter().position(|&l| l == s);
                    m.logged = at.map(|i| std::mem::take(&mut params[i]));
                    Some(Ok(Box::new(at.map(|i| stats[i]))))
                }
                _ => Some(Ok(Box::new(None))),
            })
            .collect()
    }

    /// A new device batch of the members that step (`stepping`, in member order), each with its
    /// current state; the others keep waiting with theirs.
    fn rebuild(&self, group: &mut Group, stepping: &[bool]) -> Result<(), GpuError> {
        let mut states: Vec<HostState> = Vec::with_capacity(group.members.len());
        for (m, _) in group.members.iter_mut().zip(stepping).filter(|(_, s)| **s) {
            let state = match (m.joining.take(), m.slot, group.trainer.as_mut()) {
                (Some(s), _, _) => s,
                (None, Some(slot), Some(t)) => {
                    let [p, mm, v] = t.state_of(slot)?;
                    [p, mm, v, t.filter_state_of(slot)?]
                }
                _ => {
                    return Err(GpuError::Batch(
                        "a member of the batch lost its state".into(),
                    ));
                }
            };
            states.push(state);
        }
        group.trainer = None;
        let built: Vec<usize> = (0..group.members.len()).filter(|&i| stepping[i]).collect();
        let runs: Vec<BatchRun> = built
            .iter()
            .zip(&states)
            .map(|(&i, [p, mm, v, h])| BatchRun {
                train: &group.members[i].train,
                test: &group.members[i].test,
                state: [p, mm, v],
                filter: h,
            })
            .collect();
        let s = &group.shape;
        let trainer = GpuTrainer::new_batch(
            &self.ctx,
            &s.model,
            &s.adamw,
            s.grokfast.as_ref(),
            &s.frozen,
            s.n_tasks,
            &runs,
        );
        match trainer {
            Ok(mut t) => {
                // Every member's threads wait on this phase, so its metrics may use them all.
                let threads: usize = group.members.iter().map(|m| m.threads).sum();
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                t.set_eval_threads(threads.min(cores));
                group.trainer = Some(t);
                group.stale = false;
                for (slot, &i) in built.iter().enumerate() {
                    group.members[i].slot = Some(slot);
                }
                Ok(())
            }
            Err(e) => {
                // Keep the states, so that a later phase can try again.
                for (&i, s) in built.iter().zip(states) {
                    let m = &mut group.members[i];
                    m.joining = Some(s);
                    m.slot = None;
                }
                Err(e)
            }
        }
    }

    /// The update phase: each run of the device batch with its member's step number; a slot
    /// whose member has left gets step 1 and is dropped at the next rebuild.
    fn update(&self, group: &mut Group) -> Result<(), String> {
        let Some(trainer) = group.trainer.as_mut() else {
            return Err("the batch has no device trainer".into());
        };
        let mut ts = vec![1u64; trainer.runs()];
        for m in &group.members {
            if let (Some(s), Want::Update { t }) = (m.slot, m.want) {
                ts[s] = t;
            }
        }
        trainer.update_runs(&ts).map_err(|e| e.to_string())
    }
}

/// One run's place in a [`GpuBatch`]; dropping it leaves the batch.
#[derive(Debug)]
pub struct BatchMember {
    batch: Arc<GpuBatch>,
    id: u64,
}

impl BatchMember {
    /// An error of a phase, which every member of it gets, with its own message.
    fn failed(text: String) -> HostError {
        GpuError::Batch(text).into()
    }

    fn lost(&self, reason: String) -> HostError {
        GpuError::Lost {
            adapter: self.batch.adapter.clone(),
            reason,
        }
        .into()
    }

    /// Asks for `want` and waits for this member's reply.
    fn ask(&self, want: Want) -> Result<Reply, HostError> {
        let batch = &self.batch;
        let mut g = batch.lock();
        let Some((gi, mi)) = find(&g.1, self.id) else {
            return Err(self.lost("the run is no longer in the batch".into()));
        };
        g.1[gi].members[mi].want = want;
        batch.advance(&mut g.1[gi]);
        loop {
            let Some((gi, mi)) = find(&g.1, self.id) else {
                return Err(self.lost("the run is no longer in the batch".into()));
            };
            if let Some(r) = g.1[gi].members[mi].reply.take() {
                return Ok(r);
            }
            // Whatever changes the members advances the group itself; only the end of a held
            // first phase's wait comes with no call, so a wait that times out advances it.
            let (guard, waited) = match batch.changed.wait_timeout(g, ARRIVING) {
                Ok(w) => w,
                Err(e) => e.into_inner(),
            };
            g = guard;
            if waited.timed_out()
                && let Some((gi, _)) = find(&g.1, self.id)
            {
                batch.advance(&mut g.1[gi]);
            }
        }
    }

    /// The gradient at the run's current θ, its step `t`, with its train and test metrics when
    /// `log`.
    pub fn gradients(&self, t: u64, log: bool) -> Result<Stats, HostError> {
        match self.ask(Want::Gradients { t, log })? {
            Reply::Gradients(r) => r.map(|s| *s).map_err(Self::failed),
            Reply::Update(_) => Err(self.lost("a reply to another phase".into())),
        }
    }

    /// AdamW update number `t` with the last gradient (through the filter, if the run has one).
    pub fn update(&self, t: u64) -> Result<(), HostError> {
        match self.ask(Want::Update { t })? {
            Reply::Update(r) => r.map_err(Self::failed),
            Reply::Gradients(_) => Err(self.lost("a reply to another phase".into())),
        }
    }

    /// θ, and with `moments` also m, v and the filter state, from the device (or from the
    /// state the run joined with, before it is built in).
    pub fn sync(
        &self,
        params: &mut Vec<f32>,
        moments: Option<(&mut Vec<f32>, &mut Vec<f32>, &mut Vec<f32>)>,
    ) -> Result<(), HostError> {
        let mut g = self.batch.lock();
        let Some((gi, mi)) = find(&g.1, self.id) else {
            return Err(self.lost("the run is no longer in the batch".into()));
        };
        let group = &mut g.1[gi];
        let member = &group.members[mi];
        if let Some([p, m, v, h]) = &member.joining {
            *params = p.clone();
            if let Some((mm, vv, hh)) = moments {
                (*mm, *vv, *hh) = (m.clone(), v.clone(), h.clone());
            }
            return Ok(());
        }
        let (Some(slot), Some(t)) = (member.slot, group.trainer.as_mut()) else {
            return Err(self.lost("the run has no state in the batch".into()));
        };
        match moments {
            None => match &member.logged {
                Some(p) => params.clone_from(p),
                None => *params = t.params_of(slot)?,
            },
            Some((m, v, h)) => {
                [*params, *m, *v] = t.state_of(slot)?;
                *h = t.filter_state_of(slot)?;
            }
        }
        Ok(())
    }
}

impl Drop for BatchMember {
    fn drop(&mut self) {
        let batch = &self.batch;
        let mut g = batch.lock();
        if let Some((gi, mi)) = find(&g.1, self.id) {
            let group = &mut g.1[gi];
            group.members.remove(mi);
            group.stale = true;
            if group.members.is_empty() {
                g.1.remove(gi);
            } else {
                batch.advance(&mut g.1[gi]);
            }
        }
        batch.changed.notify_all();
    }
}

/// (group, member) of member `id`.
fn find(groups: &[Group], id: u64) -> Option<(usize, usize)> {
    groups
        .iter()
        .enumerate()
        .find_map(|(gi, g)| g.members.iter().position(|m| m.id == id).map(|mi| (gi, mi)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn cfg(op: &str, frac: f64, seed: u64, lr: f64) -> RunConfig {
        let mut cfg = RunConfig {
            op: op.into(),
            p: 11,
            frac,
            seed,
            ..RunConfig::default()
        };
        cfg.adamw.lr = lr;
        cfg.derived().unwrap()
    }

    #[test]
    fn a_batched_sweep_starts_its_runs_shape_by_shape_in_grid_order() {
        // Grid order (op, then frac, then seed) interleaves two fractions; multiply_non_zero
        // admits fewer pairs, so at the same fraction it has another shape, as does another lr.
        let cfgs = [
            cfg("add", 0.3, 0, 1e-3),
            cfg("add", 0.3, 1, 1e-3),
            cfg("add", 0.5, 0, 1e-3),
            cfg("subtract", 0.3, 0, 1e-3),
            cfg("subtract", 0.5, 0, 1e-3),
            cfg("multiply_non_zero", 0.3, 0, 1e-3),
            cfg("x^2 + y", 0.5, 1, 1e-3),
            cfg("add", 0.3, 2, 3e-3),
        ];
        let refs: Vec<&RunConfig> = cfgs.iter().collect();
        assert_eq!(shape_order(&refs).unwrap(), [0, 1, 3, 2, 4, 6, 5, 7]);
    }

    /// A tiny run of seed `seed` logging every `log_every` steps, and its initial θ, m, v.
    fn tiny(seed: u64, log_every: u64) -> (RunConfig, Dataset, [Vec<f32>; 3]) {
        let mut c = RunConfig {
            seed,
            log_every,
            ..cfg("add", 0.5, seed, 3e-3)
        };
        c.model.d_model = 16;
        c.model.n_heads = 2;
        c.model.d_mlp = 32;
        let c = c.derived().unwrap();
        let data = Dataset::build(&c).unwrap();
        let mut params = vec![0.0; c.model.n_params()];
        modgrok_core::model::init_params(&c.model, seed, &mut params).unwrap();
        let zeros = vec![0.0; params.len()];
        (c, data, [params, zeros.clone(), zeros])
    }

    fn join(
        batch: &Arc<GpuBatch>,
        (c, data, [p, m, v]): &(RunConfig, Dataset, [Vec<f32>; 3]),
    ) -> BatchMember {
        batch.join(c, data, [p, m, v], &[], 1).unwrap()
    }

    /// Steps `from..to` of a member: each step's gradients (logging on multiples of
    /// `log_every`), then its update; `at_step` is set to the step before it is asked for.
    fn steps(b: &BatchMember, from: u64, to: u64, log_every: u64, at_step: &AtomicU64) {
        for t in from..to {
            at_step.store(t, Ordering::SeqCst);
            let stats = b.gradients(t, t.is_multiple_of(log_every)).unwrap();
            assert_eq!(
                stats.is_some(),
                t.is_multiple_of(log_every),
                "metrics at step {t}"
            );
            b.update(t + 1).unwrap();
        }
    }

    #[test]
    fn a_run_joins_where_the_batch_logs_and_keeps_the_bytes_it_has_alone() {
        if modgrok_gpu::GpuContext::or_skip("joins_where_the_batch_logs").is_none() {
            return;
        }
        let (a, b) = (tiny(0, 4), tiny(1, 4));
        let batch = GpuBatch::open().unwrap();
        let first = join(&batch, &a);
        let a_step = Arc::new(AtomicU64::new(0));
        steps(&first, 0, 3, 4, &a_step);

        // The second run asks for its step 0, which logs, while the first is at step 3, which
        // does not: it is built in at the first's step 4.
        let second = join(&batch, &b);
        let joined_at = Arc::new(AtomicU64::new(u64::MAX));
        let waiter = {
            let (a_step, joined_at) = (a_step.clone(), joined_at.clone());
            std::thread::spawn(move || {
                assert!(second.gradients(0, true).unwrap().is_some());
                joined_at.store(a_step.load(Ordering::SeqCst), Ordering::SeqCst);
                second.update(1).unwrap();
                steps(&second, 1, 6, 4, &AtomicU64::new(0));
                let mut params = Vec::new();
                second.sync(&mut params, None).unwrap();
                params
            })
        };
        steps(&first, 3, 10, 4, &a_step);
        drop(first);
        let batched = waiter.join().unwrap();
        assert_eq!(joined_at.load(Ordering::SeqCst), 4);

        let alone = GpuBatch::open().unwrap();
        let solo = join(&alone, &b);
        steps(&solo, 0, 6, 4, &AtomicU64::new(0));
        let mut params = Vec::new();
        solo.sync(&mut params, None).unwrap();
        assert!(
            params
                .iter()
                .zip(&batched)
                .all(|(x, y)| x.to_bits() == y.to_bits()),
            "the run that waited to join differs from the run alone"
        );
    }

    #[test]
    fn runs_that_join_a_new_group_within_the_arriving_time_start_together() {
        if modgrok_gpu::GpuContext::or_skip("start_together").is_none() {
            return;
        }
        let (a, b) = (tiny(0, 4), tiny(1, 4));
        let batch = GpuBatch::open().unwrap();
        let first = join(&batch, &a);
        let a_step = Arc::new(AtomicU64::new(u64::MAX));
        let stepper = {
            let a_step = a_step.clone();
            std::thread::spawn(move || steps(&first, 0, 6, 4, &a_step))
        };
        // The first run has asked for its step 0 (and is held there) when the second joins,
        // well within ARRIVING; without the hold it would step alone and the second would wait
        // for its step 4.
        while a_step.load(Ordering::SeqCst) == u64::MAX {
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_millis(10));
        let second = join(&batch, &b);
        assert!(second.gradients(0, true).unwrap().is_some());
        assert_eq!(a_step.load(Ordering::SeqCst), 0);
        second.update(1).unwrap();
        steps(&second, 1, 6, 4, &AtomicU64::new(0));
        stepper.join().unwrap();
    }

    #[test]
    fn a_run_of_another_logging_cycle_waits_at_most_its_log_every_phases() {
        if modgrok_gpu::GpuContext::or_skip("waits_at_most_log_every").is_none() {
            return;
        }
        let (a, b) = (tiny(0, 1000), tiny(1, 3));
        let batch = GpuBatch::open().unwrap();
        let first = join(&batch, &a);
        let a_step = Arc::new(AtomicU64::new(0));
        steps(&first, 0, 2, 1000, &a_step);
        let second = join(&batch, &b);
        let waiter = {
            let a_step = a_step.clone();
            std::thread::spawn(move || {
                second.gradients(0, true).unwrap();
                a_step.load(Ordering::SeqCst)
            })
        };
        // Phases at the first's steps 2, 3 and 4 pass without the second; at 5 it has waited 3.
        steps(&first, 2, 6, 1000, &a_step);
        assert_eq!(waiter.join().unwrap(), 5);
    }
}
