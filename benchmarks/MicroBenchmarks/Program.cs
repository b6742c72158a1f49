using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ZkGateway.MicroBenchmarks.FrameReaderBenchmarks).Assembly).Run(args);
