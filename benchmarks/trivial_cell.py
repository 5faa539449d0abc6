"""What the overhead, display and storage benchmarks share: one trivial four-parameter cell
(a uniform, a log-uniform, an integer and a categorical), so their figures compare."""

CELL = """
x = 0.0    # tune: uniform(-5, 5)
lr = 1e-3  # tune: loguniform(1e-5, 1)
depth = 3  # tune: int(1, 10)
kind = "a" # tune: ["a", "b", "c"]
(x - 1) ** 2 + (lr - 0.01) ** 2 + depth * 0.1 + (kind == "b")
"""
