namespace BiGS.Native.Modeling;

/// <summary>The model heads, with the names the <c>bigs</c> command uses.</summary>
public enum BiGSHead
{
    /// <summary>The encoder alone (BiGSModel).</summary>
    Base,
    /// <summary>BiGSForMaskedLM ("mlm").</summary>
    MaskedLM,
    /// <summary>BiGSForPreTraining ("pretraining").</summary>
    PreTraining,
    /// <summary>BiGSForNextSentencePrediction ("nsp").</summary>
    NextSentencePrediction,
    /// <summary>BiGSForSequenceClassification ("sequence-classification").</summary>
    SequenceClassification,
    /// <summary>BiGSForTokenClassification ("token-classification").</summary>
    TokenClassification,
    /// <summary>BiGSForQuestionAnswering ("question-answering").</summary>
    QuestionAnswering,
    /// <summary>BiGSForMultipleChoice ("multiple-choice").</summary>
    MultipleChoice,
}
