using System.CommandLine;
using BiGS.Native.Distributed;

namespace BiGS.Native.Cli.Commands;

/// <summary>
/// Runs a training command on every rank of <c>mpirun -np N bigs ...</c> (and as one plain process without a
/// launcher): rank 0 alone prints; a failure on any rank prints its error and aborts every rank (MPI_Abort), so no
/// rank waits forever for a dead peer. A rank killed outright is caught by mpirun, which ends the others; a rank
/// that hangs alive is caught by the others' collective timeout (--collective-timeout), after which they abort.
/// </summary>
internal static class DistributedRun
{
    /// <summary>A new --collective-timeout option (seconds; System.CommandLine options belong to one command each).</summary>
    public static Option<float> CreateTimeoutOption() => new Option<float>("--collective-timeout")
    {
        Description = "Under mpirun: seconds a rank waits for the others in an all-reduce (or broadcast, barrier) before it stops " +
            "every rank, so a hung rank cannot hang the run; it must exceed rank 0's evaluations and checkpoint saves",
        DefaultValueFactory = _ => (float)MpiCommunicator.DefaultCollectiveTimeout.TotalSeconds,
    }.Positive();

    /// <summary>A new --zero option: 1 shards the optimizer state over the ranks (ZeRO stage 1), 0 does not.</summary>
    public static Option<int> CreateZeroOption() => new Option<int>("--zero")
    {
        Description = "Under mpirun: 1 shards the AdamW state over the ranks (ZeRO stage 1: each rank keeps and updates a 1/N share, " +
            "then broadcasts those parameters), 0 keeps it whole on every rank",
        DefaultValueFactory = _ => 0,
    }.AcceptOnlyFromAmong("0", "1");

    /// <summary>
    /// Runs <paramref name="train"/> with the run's ranks (null for a single process), collectives timing out after
    /// <paramref name="collectiveTimeoutSeconds"/>, the optimizer state sharded when <paramref name="zeroStage"/> is 1;
    /// returns its exit code.
    /// </summary>
    public static int Run(float collectiveTimeoutSeconds, int zeroStage, Func<DataParallel?, int> train)
    {
        var communicator = MpiLaunch.Join(TimeSpan.FromSeconds(collectiveTimeoutSeconds));
        if (communicator.Size == 1) return train(null);
        if (communicator.Rank != 0) Console.SetOut(TextWriter.Null);
        else Console.WriteLine($"data-parallel over {communicator.Size} MPI ranks (Open MPI)");
        try
        {
            int code;
            using (var parallel = new DataParallel(communicator) { Log = Console.WriteLine, ShardOptimizerState = zeroStage == 1 })
                code = train(parallel);
            communicator.Dispose();
            return code;
        }
        catch (Exception e)
        {
            // bad input, files, and a hung peer explain themselves; anything else is a bug and shows its stack
            bool explained = e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or CollectiveTimeoutException;
            Console.Error.WriteLine($"error: rank {communicator.Rank} of {communicator.Size} failed, stopping every rank: {(explained ? e.Message : e.ToString())}");
            communicator.Abort(1);
            throw; // not reached: MPI_Abort ends the process
        }
    }

    /// <summary>Rank 0's gradient-reduction cost: bytes per update, time waiting, CPU time per update.</summary>
    public static void PrintReductionCost(DataParallel parallel)
    {
        var stats = parallel.Statistics;
        if (stats.Steps == 0) return;
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"all-reduce (rank 0): {stats.BytesPerStep / 1048576.0:0.00} MiB per update; waiting {1000 * stats.WaitSeconds / stats.Steps:0.0} ms "
            + $"of {1000 * stats.StepSeconds / stats.Steps:0.0} ms per update ({100 * stats.WaitShare:0.0}%); "
            + $"CPU {1000 * stats.CpuSeconds / stats.Steps:0.0} ms per update"));
        var (perRank, whole) = parallel.OptimizerStateBytes;
        string sharding = parallel.ShardOptimizerState ? $"ZeRO stage 1 over {parallel.Communicator.Size} ranks" : "not sharded; --zero 1 shards it";
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"optimizer state (AdamW m and v) by rank: {string.Join(", ", perRank)} bytes, of {whole} bytes in all ({sharding})"));
    }

    /// <summary>The global batch must split evenly over the ranks; the error names the option.</summary>
    public static void RequireDivisible(int batchSize, DataParallel? parallel)
    {
        int ranks = parallel?.Communicator.Size ?? 1;
        if (batchSize % ranks != 0)
            throw new ArgumentException($"--batch-size {batchSize} is the global batch and must divide by the {ranks} ranks of this run");
    }
}
