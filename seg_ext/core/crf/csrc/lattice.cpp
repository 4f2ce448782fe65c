// Permutohedral-lattice construction on the CPU, one pass over the points with a hash table.
//
// The same lattice as seg_ext/core/crf/permutohedral.py's vectorised `build_lattice` (the same
// float32 operations in the same order, so the same lattice keys, barycentric weights and
// neighbours), the way Krahenbuhl's permutohedral.cpp (inside pydensecrf) builds it: elevate each
// point, find its enclosing simplex, insert the simplex's d+1 vertices into a hash table of
// lattice keys. Lattice points are numbered in order of first insertion (the vectorised builder
// numbers them in sorted-key order; filtering does not depend on the numbering).
//
// The vectorised builder sorts N·(d+1) keys and gathers through several N-sized temporaries;
// here each point costs d+1 hash probes, which is what pydensecrf pays too.
#include <torch/extension.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

// Open-addressing hash table of integer keys of fixed length, numbered by insertion.
class KeyTable {
 public:
  explicit KeyTable(int key_size) : key_size_(key_size), slots_(1 << 12, -1) {}

  int64_t size() const { return count_; }
  const int32_t* key(int64_t index) const { return keys_.data() + index * key_size_; }

  // index of `k`; inserted when absent and `insert`, else -1
  int64_t find(const int32_t* k, bool insert) {
    size_t mask = slots_.size() - 1;
    size_t h = hash(k) & mask;
    while (true) {
      const int64_t index = slots_[h];
      if (index < 0) break;
      if (equal(key(index), k)) return index;
      h = (h + 1) & mask;
    }
    if (!insert) return -1;
    TORCH_CHECK(count_ < INT32_MAX, "more than 2^31 lattice points");
    slots_[h] = static_cast<int32_t>(count_);
    keys_.insert(keys_.end(), k, k + key_size_);
    if (++count_ * 2 > static_cast<int64_t>(slots_.size())) grow();
    return count_ - 1;
  }

 private:
  // multiply-add over the coordinates, then a final mix so that the low bits (the slot) depend
  // on every coordinate
  size_t hash(const int32_t* k) const {
    uint64_t h = 0;
    for (int i = 0; i < key_size_; ++i) h = (h + static_cast<uint32_t>(k[i])) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 32;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return static_cast<size_t>(h);
  }

  bool equal(const int32_t* a, const int32_t* b) const {
    for (int i = 0; i < key_size_; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  void grow() {
    std::vector<int32_t> old(slots_.size() * 2, -1);
    slots_.swap(old);
    size_t mask = slots_.size() - 1;
    for (int64_t index = 0; index < count_; ++index) {
      size_t h = hash(key(index)) & mask;
      while (slots_[h] >= 0) h = (h + 1) & mask;
      slots_[h] = static_cast<int32_t>(index);
    }
  }

  int key_size_;
  int64_t count_ = 0;
  std::vector<int32_t> slots_;
  std::vector<int32_t> keys_;
};

// torch.round of a float32: nearest integer, ties to even. Adding and subtracting 1.5 * 2^23 makes
// the FPU round at integer precision (the default rounding mode: to nearest, ties to even), which
// is exact for |x| < 2^22; larger floats are integers already. Inline, unlike libm's nearbyintf
// (a call per coordinate without SSE4.1's roundss).
inline float round_half_even(float x) {
  constexpr float magic = 12582912.0f;  // 1.5 * 2^23
  if (!(std::fabs(x) < 4194304.0f)) return x;  // 2^22; NaN passes through
  volatile float shifted = x + magic;  // keep the compiler from folding the pair away
  return shifted - magic;
}

}  // namespace

// features (N, d) float32; batch (N,) int64 or an empty tensor.
// Returns offsets (N, d+1) int64, weights (N, d+1) float32, neighbors (d+1, 2, M) int64 (M: absent).
std::vector<torch::Tensor> build_lattice_cpu(torch::Tensor features, torch::Tensor batch) {
  TORCH_CHECK(features.device().is_cpu() && features.dim() == 2 &&
                  features.scalar_type() == torch::kFloat32,
              "features must be a (N, d) float32 CPU tensor");
  features = features.contiguous();
  const bool has_batch = batch.numel() > 0;
  if (has_batch) batch = batch.to(torch::kInt64).contiguous();
  const int64_t n = features.size(0);
  const int d = static_cast<int>(features.size(1));
  const int k = d + 1;
  const int key_size = d + (has_batch ? 1 : 0);
  TORCH_CHECK(d >= 1 && d <= 64, "feature dimension must be 1..64");
  TORCH_CHECK(!has_batch || batch.numel() == n, "batch must have one entry per point");

  // float32 constants as the vectorised builder makes them (computed in double, then rounded)
  const double inv_std_dev = std::sqrt(2.0 / 3.0) * k;
  std::vector<float> scale(d);
  for (int i = 0; i < d; ++i)
    scale[i] = static_cast<float>(inv_std_dev / std::sqrt(static_cast<double>((i + 2) * (i + 1))));
  const float kf = static_cast<float>(k);

  auto offsets = torch::empty({n, k}, torch::kInt64);
  auto weights = torch::empty({n, k}, torch::kFloat32);
  const float* f = features.data_ptr<float>();
  const int64_t* b = has_batch ? batch.data_ptr<int64_t>() : nullptr;
  int64_t* off = offsets.data_ptr<int64_t>();
  float* w = weights.data_ptr<float>();

  KeyTable table(key_size);
  std::vector<float> cf(d), elevated(k), rem0(k), diff(k), bary(k + 1);
  std::vector<int> rank(k);
  std::vector<int32_t> key(key_size), prev_rem0(d);
  std::vector<int> prev_rank(d);
  for (int64_t p = 0; p < n; ++p) {
    const float* fp = f + p * d;
    for (int i = 0; i < d; ++i) cf[i] = fp[i] * scale[i];
    // elevate: e_0 = sum_i cf_i; e_{c+1} = sum_{i>=c} cf_i - (c+2) cf_c (suffix sums accumulated
    // in double, as torch's CPU cumsum does for float32)
    double acc = 0.0;
    for (int c = d - 1; c >= 0; --c) {
      acc += cf[c];
      const float tail = static_cast<float>(acc);
      elevated[c + 1] = tail - static_cast<float>(c + 2) * cf[c];
      if (c == 0) elevated[0] = tail;
    }
    // closest remainder-0 point (round half to even) and the rank of each coordinate's remainder
    float total = 0.0f;
    for (int i = 0; i < k; ++i) {
      TORCH_CHECK(std::fabs(elevated[i]) < 1e9f,
                  "features must be finite and below ~1e8 in magnitude (after scaling by the "
                  "kernel's standard deviations); got one at point ", p);
      const float v = round_half_even(elevated[i] / kf);
      rem0[i] = v * kf;
      total += v;
      diff[i] = elevated[i] - rem0[i];
    }
    for (int i = 0; i < k; ++i) {
      int r = 0;
      for (int j = 0; j < k; ++j)
        r += (diff[j] > diff[i]) || (j < i && diff[j] == diff[i]);
      float rf = static_cast<float>(r) + total;
      if (rf < 0) {
        rf += kf;
        rem0[i] += kf;
      } else if (rf >= kf) {
        rf -= kf;
        rem0[i] -= kf;
      }
      rank[i] = static_cast<int>(rf);
    }
    // barycentric coordinates
    for (int i = 0; i <= k; ++i) bary[i] = 0.0f;
    for (int i = 0; i < k; ++i) bary[d - rank[i]] += (elevated[i] - rem0[i]) / kf;
    for (int i = 0; i < k; ++i) bary[d - rank[i] + 1] += -((elevated[i] - rem0[i]) / kf);
    bary[0] += 1.0f + bary[k];
    for (int r = 0; r < k; ++r) w[p * k + r] = bary[r];
    // the simplex (rem0, rank, image): neighbouring pixels often share one, whose vertices are
    // then those of the previous point
    bool same = p > 0 && (!has_batch || b[p] == b[p - 1]);
    for (int i = 0; i < d && same; ++i)
      same = static_cast<int32_t>(rem0[i]) == prev_rem0[i] && rank[i] == prev_rank[i];
    if (same) {
      for (int r = 0; r < k; ++r) off[p * k + r] = off[(p - 1) * k + r];
      continue;
    }
    for (int i = 0; i < d; ++i) {
      prev_rem0[i] = static_cast<int32_t>(rem0[i]);
      prev_rank[i] = rank[i];
    }
    // its vertices: key_i = rem0_i + r - (d+1)[rank_i > d - r]
    if (has_batch) key[d] = static_cast<int32_t>(b[p]);
    for (int r = 0; r < k; ++r) {
      for (int i = 0; i < d; ++i)
        key[i] = static_cast<int32_t>(rem0[i]) + (rank[i] <= d - r ? r : r - k);
      off[p * k + r] = table.find(key.data(), true);
    }
  }

  const int64_t m = table.size();
  auto neighbors = torch::empty({k, 2, m}, torch::kInt64);
  int64_t* nb = neighbors.data_ptr<int64_t>();
  std::vector<int32_t> probe(key_size);
  for (int64_t j = 0; j < m; ++j) {
    const int32_t* kj = table.key(j);
    for (int axis = 0; axis < k; ++axis) {
      for (int side = 0; side < 2; ++side) {
        const int32_t step = side == 0 ? -1 : 1;
        for (int i = 0; i < d; ++i) probe[i] = kj[i] + step;
        if (axis < d) probe[axis] = kj[axis] - step * d;
        if (has_batch) probe[d] = kj[d];
        const int64_t found = table.find(probe.data(), false);
        nb[(axis * 2 + side) * m + j] = found < 0 ? m : found;
      }
    }
  }

  return {offsets, weights, neighbors};
}

// The splat matrix (M+1, N) of a lattice as CSR crow (M+2), col, val: row j lists the points with
// a vertex at lattice point j (in point order), the last row (the boundary that blurring reads as
// zero) is empty. Only the sparse-product path needs it; the compiled filter splats from offsets.
std::vector<torch::Tensor> splat_csr_cpu(torch::Tensor offsets, torch::Tensor weights, int64_t m) {
  TORCH_CHECK(offsets.device().is_cpu() && offsets.dim() == 2 &&
                  offsets.scalar_type() == torch::kInt64 && weights.sizes() == offsets.sizes() &&
                  weights.scalar_type() == torch::kFloat32,
              "offsets (N, d+1) int64 and weights (N, d+1) float32 CPU tensors expected");
  offsets = offsets.contiguous();
  weights = weights.contiguous();
  const int64_t n = offsets.size(0), k = offsets.size(1);
  const int64_t* off = offsets.data_ptr<int64_t>();
  const float* w = weights.data_ptr<float>();
  auto crow = torch::zeros({m + 2}, torch::kInt64);
  auto col = torch::empty({n * k}, torch::kInt64);
  auto val = torch::empty({n * k}, torch::kFloat32);
  int64_t* cr = crow.data_ptr<int64_t>();
  int64_t* cl = col.data_ptr<int64_t>();
  float* vl = val.data_ptr<float>();
  for (int64_t e = 0; e < n * k; ++e) ++cr[off[e] + 1];
  for (int64_t j = 0; j < m + 1; ++j) cr[j + 1] += cr[j];
  std::vector<int64_t> fill(cr, cr + m);
  for (int64_t p = 0; p < n; ++p) {
    for (int64_t r = 0; r < k; ++r) {
      const int64_t slot = fill[off[p * k + r]]++;
      cl[slot] = p;
      vl[slot] = w[p * k + r];
    }
  }
  return {crow, col, val};
}

// Inner loops over the C channels of a row; C known at compile time for few classes (the
// loops unroll), at run time otherwise (CF = 0).
template <int CF>
struct Rows {
  int64_t c;
  int64_t channels() const { return CF > 0 ? CF : c; }

  // [1 2 1]/2 blur of lattice values src -> dst along one direction
  void blur(const float* in, float* out, const int64_t* n1, const int64_t* n2, int64_t m) const {
    const int64_t cc = channels();
    for (int64_t j = 0; j < m; ++j) {
      const float* a = in + n1[j] * cc;
      const float* b = in + n2[j] * cc;
      const float* x = in + j * cc;
      float* y = out + j * cc;
      for (int64_t ch = 0; ch < cc; ++ch) y[ch] = x[ch] + 0.5f * (a[ch] + b[ch]);
    }
    for (int64_t ch = 0; ch < cc; ++ch) out[m * cc + ch] = 0.0f;
  }

  // lattice[offsets[p, r]] += w[p, r] * q[p]
  void splat(const float* q, const int64_t* off, const float* w, int64_t n, int64_t k,
             float* lattice) const {
    const int64_t cc = channels();
    for (int64_t p = 0; p < n; ++p) {
      const float* qp = q + p * cc;
      for (int64_t r = 0; r < k; ++r) {
        float* dst = lattice + off[p * k + r] * cc;
        const float wr = w[p * k + r];
        for (int64_t ch = 0; ch < cc; ++ch) dst[ch] += wr * qp[ch];
      }
    }
  }

  // out[p] += sum_r w[p, r] * lattice[offsets[p, r]]
  void slice(const float* lattice, const int64_t* off, const float* w, int64_t n, int64_t k,
             float* out) const {
    const int64_t cc = channels();
    for (int64_t p = 0; p < n; ++p) {
      float* op = out + p * cc;
      for (int64_t r = 0; r < k; ++r) {
        const float* src = lattice + off[p * k + r] * cc;
        const float wr = w[p * k + r];
        for (int64_t ch = 0; ch < cc; ++ch) op[ch] += wr * src[ch];
      }
    }
  }
};

template <typename F>
void with_rows(int64_t c, F&& f) {
  switch (c) {
    case 1: f(Rows<1>{1}); break;
    case 2: f(Rows<2>{2}); break;
    case 3: f(Rows<3>{3}); break;
    case 4: f(Rows<4>{4}); break;
    default: f(Rows<0>{c});
  }
}

// blur along every lattice direction (reverse: in reverse order), ping-ponging between buf and a
// second buffer; returns the one holding the result. Row M (absent neighbours) reads as zero.
torch::Tensor blur_in_place(torch::Tensor buf, const torch::Tensor& neighbors, bool reverse) {
  const int64_t m = neighbors.size(2), c = buf.size(1), k = neighbors.size(0);
  auto src = buf;
  auto dst = torch::empty_like(buf);
  const int64_t* nb = neighbors.data_ptr<int64_t>();
  with_rows(c, [&](auto rows) {
    for (int64_t step = 0; step < k; ++step) {
      const int64_t axis = reverse ? k - 1 - step : step;
      const int64_t* n1 = nb + axis * 2 * m;
      rows.blur(src.data_ptr<float>(), dst.data_ptr<float>(), n1, n1 + m, m);
      std::swap(src, dst);
    }
  });
  return src;
}

// [1 2 1]/2 blur of lattice values buf (M+1, C) float32 along every lattice direction (reverse:
// the directions in reverse order), one pass per direction without temporaries; row M (absent
// neighbours) reads as zero. Same arithmetic as permutohedral.py's `blur`.
torch::Tensor blur_cpu(torch::Tensor buf, torch::Tensor neighbors, bool reverse) {
  TORCH_CHECK(buf.device().is_cpu() && buf.dim() == 2 && buf.scalar_type() == torch::kFloat32,
              "buf must be a (M+1, C) float32 CPU tensor");
  TORCH_CHECK(neighbors.dim() == 3 && neighbors.size(1) == 2 &&
                  neighbors.scalar_type() == torch::kInt64 && neighbors.size(2) + 1 == buf.size(0),
              "neighbors must be (d+1, 2, M) int64 with M + 1 rows of buf");
  return blur_in_place(buf.clone(torch::MemoryFormat::Contiguous), neighbors.contiguous(),
                       reverse);
}

// out (N, C) += slice(blur(splat(q))): the lattice filter in point order, as pydensecrf computes
// it. Splat: each point adds splat_w[p, r] * q[p] to its d+1 lattice points (q read in order,
// lattice values written at random: M x C floats, which stay in cache where N x C do not);
// blur as blur_cpu; slice: out[p] += sum_r slice_w[p, r] * blurred[offsets[p, r]].
// Same products as permutohedral.py's sparse splat/slice (summation order aside).
void filter_add_cpu(torch::Tensor q, torch::Tensor offsets, torch::Tensor splat_w,
                    torch::Tensor slice_w, torch::Tensor neighbors, torch::Tensor out) {
  TORCH_CHECK(q.device().is_cpu() && q.dim() == 2 && q.scalar_type() == torch::kFloat32,
              "q must be a (N, C) float32 CPU tensor");
  TORCH_CHECK(out.is_contiguous() && out.sizes() == q.sizes() &&
                  out.scalar_type() == torch::kFloat32,
              "out must be a contiguous float32 tensor shaped like q");
  q = q.contiguous();
  offsets = offsets.contiguous();
  splat_w = splat_w.contiguous();
  slice_w = slice_w.contiguous();
  neighbors = neighbors.contiguous();
  const int64_t n = q.size(0), c = q.size(1), k = offsets.size(1), m = neighbors.size(2);
  TORCH_CHECK(offsets.size(0) == n && offsets.scalar_type() == torch::kInt64 &&
                  splat_w.sizes() == offsets.sizes() && slice_w.sizes() == offsets.sizes() &&
                  splat_w.scalar_type() == torch::kFloat32 &&
                  slice_w.scalar_type() == torch::kFloat32 && neighbors.size(0) == k,
              "offsets, splat_w, slice_w must be (N, d+1) and neighbors (d+1, 2, M)");
  auto lattice = torch::zeros({m + 1, c}, torch::kFloat32);
  with_rows(c, [&](auto rows) {
    rows.splat(q.data_ptr<float>(), offsets.data_ptr<int64_t>(), splat_w.data_ptr<float>(), n, k,
               lattice.data_ptr<float>());
  });
  auto blurred = blur_in_place(lattice, neighbors, false);
  with_rows(c, [&](auto rows) {
    rows.slice(blurred.data_ptr<float>(), offsets.data_ptr<int64_t>(), slice_w.data_ptr<float>(),
               n, k, out.data_ptr<float>());
  });
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("splat_csr_cpu", &splat_csr_cpu, "the splat matrix (M+1, N) of a lattice as CSR arrays",
        py::arg("offsets"), py::arg("weights"), py::arg("m"));
  m.def("filter_add_cpu", &filter_add_cpu, "out += slice(blur(splat(q))), in point order",
        py::arg("q"), py::arg("offsets"), py::arg("splat_w"), py::arg("slice_w"),
        py::arg("neighbors"), py::arg("out"));
  m.def("blur_cpu", &blur_cpu, "[1 2 1]/2 blur of lattice values along every lattice direction",
        py::arg("buf"), py::arg("neighbors"), py::arg("reverse"));
  m.def("build_lattice_cpu", &build_lattice_cpu,
        "permutohedral lattice of (N, d) float32 features on the CPU (hash table)",
        py::arg("features"), py::arg("batch"));
}
