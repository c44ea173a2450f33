namespace BiGS.Native.Distributed;

/// <summary>Whether this process was started by an MPI launcher, and joining its run.</summary>
public static class MpiLaunch
{
    /// <summary>
    /// The number of ranks the launcher started, from the environment it gives every rank: Open MPI's
    /// OMPI_COMM_WORLD_SIZE, else PMI_SIZE (PMI launchers: Slurm's srun, MPICH's Hydra); null without a launcher.
    /// </summary>
    public static int? LaunchedSize()
    {
        foreach (string variable in new[] { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE" })
            if (int.TryParse(Environment.GetEnvironmentVariable(variable), out int size) && size > 0) return size;
        return null;
    }

    /// <summary>
    /// Open MPI's world when a launcher started more than one rank (<c>mpirun -np N</c>, N &gt; 1), else a
    /// <see cref="SingleProcess"/> that never loads MPI. A collective still incomplete after
    /// <paramref name="collectiveTimeout"/> (default <see cref="MpiCommunicator.DefaultCollectiveTimeout"/>) throws
    /// <see cref="CollectiveTimeoutException"/>.
    /// </summary>
    public static ICommunicator Join(TimeSpan? collectiveTimeout = null) =>
        LaunchedSize() is > 1 ? MpiCommunicator.Initialize(collectiveTimeout) : new SingleProcess();
}
