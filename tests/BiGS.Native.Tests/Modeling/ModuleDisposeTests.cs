using BiGS.Native.Modeling;
using BiGS.Native.Tensors;

namespace BiGS.Native.Tests.Modeling;

public class ModuleDisposeTests
{
    private static BiGSConfig Tiny => new() { VocabSize = 40, HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 1, NumSsm = 4, MaxPositionEmbeddings = 16 };

    [Fact]
    public void Disposing_a_model_releases_every_parameter_and_gradient_once()
    {
        var model = new BiGSForMaskedLM(Tiny);
        var parameters = model.Parameters().ToList();
        parameters[0].Grad = Tensor.Zeros(parameters[0].Value.ShapeArray());
        var gradStorage = parameters[0].Grad!.Storage;

        model.Dispose();   // the MLM decoder shares the word embeddings: released once, no error

        Assert.All(parameters, p => Assert.True(p.Value.Storage.IsDisposed, $"{p.Name} still holds memory"));
        Assert.True(gradStorage.IsDisposed);
        model.Dispose();   // idempotent
    }
}
