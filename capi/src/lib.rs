//! The C interface of modgrok's fixed-point inference (`include/modgrok.h`): load a model file
//! written by `modgrok export-fixed`, predict, free. Built as `libmodgrok_capi.a`.
//!
//! No panic crosses into C: every entry point runs under `catch_unwind` and returns an error
//! code instead (with the workspace's `panic = "unwind"`; under `panic = "abort"` a panic, which
//! would be a bug, aborts the process).
use std::panic::{AssertUnwindSafe, catch_unwind};

use modgrok_core::Error;
use modgrok_core::quant::{self, I16F16, QuantModel};

pub const MODGROK_OK: i32 = 0;
pub const MODGROK_ERR_NULL: i32 = -1;
pub const MODGROK_ERR_BAD_FILE: i32 = -2;
pub const MODGROK_ERR_BAD_TOKEN: i32 = -3;
pub const MODGROK_ERR_INTERNAL: i32 = -4;

/// A loaded model: a checked view of its own copy of the file bytes, which [`modgrok_free`]
/// releases after the view.
pub struct ModgrokModel {
    model: QuantModel<'static>,
    bytes: *mut [u8],
}

// SAFETY: `bytes` is owned by the model, never written after loading, and only freed by
// `modgrok_free`, which takes the model by value; the view only reads.
unsafe impl Send for ModgrokModel {}
unsafe impl Sync for ModgrokModel {}

fn code(e: Error) -> i32 {
    match e {
        Error::BadToken { .. } => MODGROK_ERR_BAD_TOKEN,
        Error::BadModelFile { .. } => MODGROK_ERR_BAD_FILE,
        _ => MODGROK_ERR_INTERNAL,
    }
}

/// Runs `f`, turning a panic into [`MODGROK_ERR_INTERNAL`].
fn guard(f: impl FnOnce() -> i32) -> i32 {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(MODGROK_ERR_INTERNAL)
}

/// See `modgrok_load` in `modgrok.h`.
///
/// # Safety
/// `bytes` must point to `len` readable bytes; `out` must be NULL or point to writable storage
/// for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn modgrok_load(
    bytes: *const u8,
    len: usize,
    out: *mut *mut ModgrokModel,
) -> i32 {
    guard(|| {
        if bytes.is_null() || out.is_null() {
            return MODGROK_ERR_NULL;
        }
        // SAFETY: the caller guarantees `len` readable bytes at `bytes`.
        let src = unsafe { std::slice::from_raw_parts(bytes, len) };
        let raw: *mut [u8] = Box::into_raw(src.to_vec().into_boxed_slice());
        // SAFETY: `raw` is the box just above, freed only by `modgrok_free` after the view
        // borrowing it (or below, if the bytes are refused).
        let view: &'static [u8] = unsafe { &*raw };
        match QuantModel::from_bytes(view) {
            Ok(model) => {
                let handle = Box::new(ModgrokModel { model, bytes: raw });
                // SAFETY: `out` is non-null and writable by the caller's contract.
                unsafe { *out = Box::into_raw(handle) };
                MODGROK_OK
            }
            Err(e) => {
                // SAFETY: nothing borrows `raw` any more; it came from `Box::into_raw`.
                drop(unsafe { Box::from_raw(raw) });
                code(e)
            }
        }
    })
}

/// See `modgrok_predict` in `modgrok.h`.
///
/// # Safety
/// `model` must be NULL or a live model from [`modgrok_load`]; `answer` must be NULL or point to
/// a writable `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn modgrok_predict(
    model: *const ModgrokModel,
    x: u32,
    op: u32,
    y: u32,
    answer: *mut u32,
) -> i32 {
    guard(|| {
        if model.is_null() || answer.is_null() {
            return MODGROK_ERR_NULL;
        }
        // SAFETY: a live model from `modgrok_load`, by the caller's contract.
        let m = unsafe { &(*model).model };
        let mut tokens = [0u16; 3];
        for (t, v) in tokens.iter_mut().zip([x, op, y]) {
            match u16::try_from(v) {
                Ok(v) => *t = v,
                Err(_) => return MODGROK_ERR_BAD_TOKEN,
            }
        }
        let mut scratch = vec![I16F16::ZERO; quant::scratch_len(&m.config())];
        match m.predict(tokens, &mut scratch) {
            Ok(a) => {
                // SAFETY: `answer` is non-null and writable by the caller's contract.
                unsafe { *answer = a as u32 };
                MODGROK_OK
            }
            Err(e) => code(e),
        }
    })
}

/// See `modgrok_free` in `modgrok.h`.
///
/// # Safety
/// `model` must be NULL or a model from [`modgrok_load`] not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn modgrok_free(model: *mut ModgrokModel) {
    let _ = guard(|| {
        if !model.is_null() {
            // SAFETY: from `Box::into_raw` in `modgrok_load`, freed once by the caller's
            // contract; the view is dropped with the handle before its bytes.
            let handle = unsafe { Box::from_raw(model) };
            let bytes = handle.bytes;
            drop(handle);
            drop(unsafe { Box::from_raw(bytes) });
        }
        MODGROK_OK
    });
}
