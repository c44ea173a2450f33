namespace BiGS.Native.Tokenization;

/// <summary>
/// The model input for one text (or text pair): four arrays of the same length, one entry per position.
/// </summary>
/// <param name="InputIds">Vocabulary ids: <c>[CLS] A [SEP]</c> or <c>[CLS] A [SEP] B [SEP]</c>, then any <c>[PAD]</c>.</param>
/// <param name="TokenTypeIds">0 for <c>[CLS]</c>, sequence A and its <c>[SEP]</c>; 1 for sequence B and the final <c>[SEP]</c>; 0 for padding.</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding.</param>
/// <param name="Tokens">The vocabulary string of each id (<c>##</c> marks a continuation piece).</param>
public sealed record Encoding(int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, string[] Tokens);
