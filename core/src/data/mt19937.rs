//! Python's `random` module, bit for bit: the MT19937 generator of Matsumoto and Nishimura with
//! CPython's seeding of an int, `getrandbits`, `_randbelow` and `shuffle`. The reference split
//! is `random.seed(seed); random.shuffle(pairs)` (SPEC §2), so this is what makes our splits the
//! reference's.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// MT19937 state as CPython's `_random.Random` keeps it: 624 words and the next index.
#[derive(Clone)]
pub struct Mt19937 {
    mt: [u32; N],
    index: usize,
}

impl Mt19937 {
    /// `init_genrand(s)`: `mt[0] = s`, `mt[i] = 1812433253 · (mt[i−1] ⊕ (mt[i−1] >> 30)) + i`.
    fn init_genrand(s: u32) -> Self {
        let mut mt = [0u32; N];
        mt[0] = s;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { mt, index: N }
    }

    /// `init_by_array(key)` of the 2002 reference implementation, which CPython calls for every
    /// seed. An empty key is taken as `[0]`, as CPython's `random.seed(0)` does.
    pub fn from_key(key: &[u32]) -> Self {
        let key = if key.is_empty() { &[0u32][..] } else { key };
        let mut s = Self::init_genrand(19_650_218);
        let mt = &mut s.mt;
        let mut i = 1usize;
        let mut j = 0usize;
        for _ in 0..N.max(key.len()) {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        s
    }

    /// `random.seed(seed)` for a non-negative int: the key is the seed's 32-bit words,
    /// least significant first, without leading zero words (`[0]` for 0).
    pub fn from_seed_u64(seed: u64) -> Self {
        let lo = seed as u32;
        let hi = (seed >> 32) as u32;
        if hi == 0 {
            Self::from_key(&[lo])
        } else {
            Self::from_key(&[lo, hi])
        }
    }

    /// Next 32-bit output (`genrand_uint32`), tempered.
    pub fn genrand_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    fn twist(&mut self) {
        let mag01 = |y: u32| if y & 1 == 0 { 0 } else { MATRIX_A };
        let mt = &mut self.mt;
        for kk in 0..N - M {
            let y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + M] ^ (y >> 1) ^ mag01(y);
        }
        for kk in N - M..N - 1 {
            let y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
            mt[kk] = mt[kk + M - N] ^ (y >> 1) ^ mag01(y);
        }
        let y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
        mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ mag01(y);
        self.index = 0;
    }

    /// `random.getrandbits(k)` for `k <= 64`. For `k <= 32` one word shifted right by `32 − k`;
    /// above, 32-bit words fill the result least significant first and the last word keeps only
    /// its top `k mod 32` bits, as CPython does. `k = 0` gives 0 and draws nothing.
    ///
    /// # Panics
    /// If `k > 64`.
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        assert!(k <= 64, "getrandbits: k = {k} > 64");
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return (self.genrand_u32() >> (32 - k)) as u64;
        }
        let lo = self.genrand_u32() as u64;
        let hi = (self.genrand_u32() >> (64 - k)) as u64;
        lo | (hi << 32)
    }

    /// `random._randbelow(n)` (`_randbelow_with_getrandbits`): draw `k = bit_length(n)` bits
    /// until the value is below `n`. `n = 0` gives 0 (Python never calls it so).
    pub fn randbelow(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let k = 64 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `random.shuffle(xs)`: for `i` from `len − 1` down to 1, swap `xs[i]` with
    /// `xs[randbelow(i + 1)]`.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}
