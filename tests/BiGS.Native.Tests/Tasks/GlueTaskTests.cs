using BiGS.Native.Tasks;

namespace BiGS.Native.Tests.Tasks;

public class GlueTaskTests
{
    [Fact]
    public void Sst2_reads_sentence_and_label_by_header_name_whatever_their_order()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("train.tsv", "label\tsentence\n1\tgood film\n0\tbad film\n");
        var examples = TaskData.Read(GlueTasks.Get("sst2"), path);
        Assert.Equal([new TaskExample("good film", null, 1, 2), new TaskExample("bad film", null, 0, 3)], examples);
    }

    [Fact]
    public void Mrpc_reads_the_pair_and_quality_columns()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("dev.tsv", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t10\t11\tA cat sat.\tIt sat.\n");
        var example = Assert.Single(TaskData.Read(GlueTasks.Get("mrpc"), path));
        Assert.Equal(("A cat sat.", "It sat.", 1f), (example.Text, example.TextPair, example.Label));
    }

    [Fact]
    public void Cola_has_no_header_and_reads_fixed_columns()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("train.tsv", "gj04\t1\t\tOur friends won't buy this analysis.\ngj04\t0\t*\tThey drank the pub.\n");
        var examples = TaskData.Read(GlueTasks.Get("cola"), path);
        Assert.Equal(new TaskExample("Our friends won't buy this analysis.", null, 1, 1), examples[0]);
        Assert.Equal(0f, examples[1].Label);
    }

    [Fact]
    public void Mnli_maps_label_names_to_class_ids_and_has_two_dev_splits()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("dev_matched.tsv",
            "index\tsentence1\tsentence2\tgold_label\n0\ta\tb\tneutral\n1\tc\td\tcontradiction\n2\te\tf\tentailment\n");
        var task = GlueTasks.Get("mnli");
        Assert.Equal([1f, 2f, 0f], TaskData.Read(task, path).Select(e => e.Label));
        Assert.Equal(["dev_matched", "dev_mismatched"], task.SplitFiles("dev"));
        Assert.Equal(["test"], task.SplitFiles("test"));
        Assert.Equal(3, task.NumLabels);
    }

    [Fact]
    public void Stsb_is_a_regression_with_one_output_and_scores_from_0_to_5()
    {
        using var files = new TaskTestFiles();
        var task = GlueTasks.Get("stsb");
        Assert.True(task.IsRegression);
        Assert.Equal(1, task.NumLabels);
        var good = files.Write("dev.tsv", "genre\tsentence1\tsentence2\tscore\nnews\ta\tb\t3.8\n");
        Assert.Equal(3.8f, Assert.Single(TaskData.Read(task, good)).Label);
        var bad = files.Write("bad.tsv", "genre\tsentence1\tsentence2\tscore\nnews\ta\tb\t3.8\nnews\tc\td\t5.2\n");
        var error = Assert.Throws<InvalidDataException>(() => TaskData.Read(task, bad));
        Assert.Equal($"{bad} line 3: label '5.2' is outside the task's range: task 'stsb' expects a number from 0 to 5", error.Message);
    }

    [Fact]
    public void A_label_outside_the_task_names_file_line_and_value()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("train.tsv", "sentence\tlabel\nok\t1\nodd\t2\n");
        var error = Assert.Throws<InvalidDataException>(() => TaskData.Read(GlueTasks.Get("sst2"), path));
        Assert.Equal($"{path} line 3: label '2' is outside the task's range: task 'sst2' expects one of '0', '1'", error.Message);
    }

    [Fact]
    public void A_row_with_too_few_columns_names_file_and_line()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("train.tsv", "label\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\ta\tb\n0\t3\t4\tonly one\n");
        var error = Assert.Throws<InvalidDataException>(() => TaskData.Read(GlueTasks.Get("mrpc"), path));
        Assert.Equal($"{path} line 3: too few columns: the row has 4, task 'mrpc' reads up to column 5 (the header has 5)", error.Message);
    }

    [Fact]
    public void Mrpc_label_column_may_be_named_label_as_in_the_nextverse_task()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("dev.tsv", "label\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t10\t11\tA.\tB.\n");
        Assert.Equal(0f, Assert.Single(TaskData.Read(GlueTasks.Get("mrpc"), path)).Label);
    }

    [Fact]
    public void A_header_without_data_rows_is_an_error()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("train.tsv", "sentence\tlabel\n");
        var error = Assert.Throws<InvalidDataException>(() => TaskData.Read(GlueTasks.Get("sst2"), path));
        Assert.Contains("no examples", error.Message);
    }

    [Fact]
    public void Custom_csv_task_takes_named_columns_and_learns_its_labels_from_a_file()
    {
        using var files = new TaskTestFiles();
        var path = files.Write("train.csv", "id,review,stars\n1,\"fine, really\",10\n2,meh,2\n3,great,10\n");
        var task = GlueTasks.Custom("review", null, "stars", regression: false);
        var labels = TaskData.DistinctLabels(task, path);
        Assert.Equal(["2", "10"], labels);   // numeric order, not text order
        task = task with { Labels = labels };
        Assert.Equal([1f, 0f, 1f], TaskData.Read(task, path).Select(e => e.Label));
        Assert.Equal("fine, really", TaskData.Read(task, path)[0].Text);
        Assert.Equal(TaskMetric.Accuracy, task.MainMetric);
    }

    [Fact]
    public void Data_file_prefers_tsv_then_csv_and_names_what_is_missing()
    {
        using var files = new TaskTestFiles();
        files.Write("train.csv", "a,b\n");
        Assert.Equal(Path.Combine(files.Root, "train.csv"), GlueTask.DataFile(files.Root, "train"));
        var error = Assert.Throws<FileNotFoundException>(() => GlueTask.DataFile(files.Root, "dev"));
        Assert.Contains("no dev.tsv (or dev.csv)", error.Message);
    }

    [Fact]
    public void Unknown_and_incomplete_task_names_are_explained()
    {
        Assert.Contains("known: cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli, custom",
            Assert.Throws<ArgumentException>(() => GlueTasks.Get("squad")).Message);
        Assert.Contains("--text-column", Assert.Throws<ArgumentException>(() => GlueTasks.Get("custom")).Message);
    }

    [Fact]
    public void Main_metrics_follow_glue()
    {
        Assert.Equal(TaskMetric.MatthewsCorrelation, GlueTasks.Get("cola").MainMetric);
        Assert.Equal([TaskMetric.F1, TaskMetric.Accuracy], GlueTasks.Get("mrpc").Metrics);
        Assert.Equal([TaskMetric.F1, TaskMetric.Accuracy], GlueTasks.Get("qqp").Metrics);
        Assert.Equal([TaskMetric.Pearson, TaskMetric.Spearman], GlueTasks.Get("stsb").Metrics);
        Assert.Equal(TaskMetric.Accuracy, GlueTasks.Get("rte").MainMetric);
    }
}
