// Each scenario starts a server and injects faults into it; the machine has 2 cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
