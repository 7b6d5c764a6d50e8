// Benchmarks arrive with the engine.
print("no benchmarks yet")
