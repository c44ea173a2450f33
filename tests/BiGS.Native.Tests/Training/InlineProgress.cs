using BiGS.Native.Training;

namespace BiGS.Native.Tests.Training;

/// <summary>A synchronous progress sink (System.Progress would post to the thread pool).</summary>
internal sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
