// Two real servers on a shared 2-core machine: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
