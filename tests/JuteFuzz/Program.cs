using SharpFuzz;
using ZkGateway.JuteFuzz;

// ZkGateway.JuteFuzz TARGET              run TARGET under afl-fuzz (SharpFuzz's fork server; once without it)
// ZkGateway.JuteFuzz seed DIR            write the seed corpus to DIR/TARGET/
// ZkGateway.JuteFuzz replay TARGET FILE… run files through TARGET without AFL; exit 1 if one breaks it
if (args.Length >= 2 && args[0] == "seed")
{
    SeedCorpus.WriteTo(args[1]);
    return 0;
}
if (args.Length >= 3 && args[0] == "replay")
{
    int broken = 0;
    foreach (var file in args.Skip(2))
    {
        try
        {
            FuzzTargets.Run(args[1], File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            broken++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
        }
    }
    return broken == 0 ? 0 : 1;
}
if (args.Length == 1 && FuzzTargets.ByName.ContainsKey(args[0]))
{
    string target = args[0];
    Fuzzer.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        FuzzTargets.Run(target, copy.ToArray());
    });
    return 0;
}
Console.Error.WriteLine("usage: ZkGateway.JuteFuzz (" + string.Join("|", FuzzTargets.ByName.Keys) + ") | seed DIR | replay TARGET FILE...");
return 2;
