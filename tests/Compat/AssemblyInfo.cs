// Real servers and client processes share a 2-core machine: run scenarios one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
