//! Zeroed f32 buffers that Linux backs with 2 MiB pages (transparent huge pages, `madvise`).
//! The step reads token-table rows and kept gradient rows scattered over several MiB; with
//! 4 KiB pages many of those reads also miss the TLB. Where the kernel declines (or off Linux)
//! the buffer is a plain zeroed one; the values, and so every bit of a step, are the same.
use std::ops::{Deref, DerefMut};

/// Bytes per huge page.
const HUGE: usize = 2 << 20;

/// `len` zeroed values that start on a cache line; when they span at least one huge page, they
/// start on a huge-page boundary and their whole huge pages are advised to be backed as such.
pub struct HugeBuf {
    buf: Vec<f32>,
    at: usize,
    len: usize,
}

/// Bytes per cache line.
const LINE: usize = 64;

impl HugeBuf {
    pub fn zeroed(len: usize) -> Self {
        if len * size_of::<f32>() < HUGE {
            let buf = vec![0.0f32; len + LINE / size_of::<f32>()];
            let at = start_at(&buf, LINE);
            return HugeBuf { buf, at, len };
        }
        // A zeroed allocation this large is freshly mapped and untouched, so the advice comes
        // before any of its pages is faulted in, and the unused head below `at` never is.
        let buf = vec![0.0f32; len + HUGE / size_of::<f32>()];
        let at = start_at(&buf, HUGE);
        let bytes = len * size_of::<f32>() / HUGE * HUGE;
        advise_huge(buf.as_ptr() as usize + at * size_of::<f32>(), bytes);
        HugeBuf { buf, at, len }
    }
}

/// The first index of `buf` whose address is a multiple of `align` bytes.
fn start_at(buf: &[f32], align: usize) -> usize {
    let start = buf.as_ptr() as usize;
    (start.next_multiple_of(align) - start) / size_of::<f32>()
}

impl Deref for HugeBuf {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.buf[self.at..self.at + self.len]
    }
}

impl DerefMut for HugeBuf {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.buf[self.at..self.at + self.len]
    }
}

#[cfg(target_os = "linux")]
fn advise_huge(addr: usize, bytes: usize) {
    // SAFETY: [addr, addr + bytes) lies inside the live allocation of the caller's buffer, and
    // MADV_HUGEPAGE only changes how its pages are backed, never what they hold. Where it
    // fails (THP off), the pages stay ordinary, so the result is not needed.
    unsafe {
        libc::madvise(addr as *mut libc::c_void, bytes, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_addr: usize, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer of a few huge pages starts on a huge-page boundary, a smaller one on a cache
    /// line; each is zeroed, has the asked length and keeps what is written to it.
    #[test]
    fn huge_buffers_are_aligned_zeroed_and_hold_their_values() {
        for len in [3 * HUGE / 4 + 5, HUGE / 4 - 1, 7] {
            let mut b = HugeBuf::zeroed(len);
            assert_eq!(b.len(), len);
            assert!(b.iter().all(|&x| x.to_bits() == 0));
            let align = if len * 4 >= HUGE { HUGE } else { LINE };
            assert_eq!(b.as_ptr() as usize % align, 0, "len {len}");
            for (i, x) in b.iter_mut().enumerate() {
                *x = i as f32;
            }
            assert!(b.iter().enumerate().all(|(i, &x)| x == i as f32));
        }
    }
}
