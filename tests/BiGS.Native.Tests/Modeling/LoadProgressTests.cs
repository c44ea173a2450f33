using BiGS.Native.Modeling;

namespace BiGS.Native.Tests.Modeling;

/// <summary><c>FromPretrained</c>'s progress reports and cancellation, on the bigs-tiny checkpoint.</summary>
public class LoadProgressTests
{
    /// <summary>Collects reports on the reporting thread (<see cref="Progress{T}"/> would post them asynchronously).</summary>
    private sealed class RecordingProgress(Action<long>? onReport = null) : IProgress<long>
    {
        public List<long> Reports { get; } = [];

        public void Report(long value)
        {
            Reports.Add(value);
            onReport?.Invoke(value);
        }
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("flax_model.msgpack")]
    public void Progress_counts_up_to_every_loaded_parameter_value(string weightsFile)
    {
        var model = new BiGSForSequenceClassification(TinyFixture.Config);
        var progress = new RecordingProgress();
        var report = PretrainedLoader.LoadWeights(model, Path.Combine(TinyFixture.Directory, weightsFile), progress);

        // Expected total from the model's own parameters, not from the loader.
        long expectedTotal = model.NamedParameters().Sum(p => p.Parameter.Value.Count);
        Assert.Empty(report.NewlyInitialized);
        Assert.True(progress.Reports.Count > 1, $"only {progress.Reports.Count} report(s)");
        Assert.All(progress.Reports.Zip(progress.Reports.Skip(1)), pair => Assert.True(pair.Second > pair.First));
        Assert.Equal(expectedTotal, progress.Reports[^1]);
    }

    [Fact]
    public void The_last_report_counts_a_newly_initialised_head_too()
    {
        var model = new BiGSForQuestionAnswering(TinyFixture.Config);
        var progress = new RecordingProgress();
        var report = PretrainedLoader.LoadWeights(model, Path.Combine(TinyFixture.Directory, "model.safetensors"), progress);

        long newHeadValues = model.NamedParameters().Where(p => report.NewlyInitialized.Contains(p.Name)).Sum(p => p.Parameter.Value.Count);
        Assert.True(newHeadValues > 0, "the checkpoint was expected to lack the question-answering head");
        Assert.Equal(progress.Reports[^2] + newHeadValues, progress.Reports[^1]);
        Assert.Equal(model.ParameterCount(), progress.Reports[^1]);
    }

    [Fact]
    public void FromPretrained_reports_every_value_of_a_complete_checkpoint()
    {
        var progress = new RecordingProgress();
        var model = BiGSForMaskedLM.FromPretrained(TinyFixture.Directory, progress);
        Assert.Empty(model.LoadReport!.NewlyInitialized);
        Assert.Equal(model.ParameterCount(), progress.Reports[^1]);
    }

    [Fact]
    public void An_already_cancelled_token_stops_the_load_before_any_tensor()
    {
        var progress = new RecordingProgress();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            BiGSForMaskedLM.FromPretrained(TinyFixture.Directory, progress, new CancellationToken(canceled: true)));
        Assert.Empty(progress.Reports);
    }

    [Fact]
    public void Cancelling_mid_load_stops_after_the_current_tensor()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(_ => cancellation.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            BiGSHeads.FromPretrained(TinyFixture.Directory, BiGSHead.MaskedLM, progress, cancellation.Token));
        Assert.Single(progress.Reports);
    }
}
