/**
 * Does a chat message ask for something? Slack has no "question" type, so a top-level message
 * opens a question thread when this score reaches `questionThreshold` (default 0.5). The Discord
 * adapter uses the same scorer for text channels.
 *
 * Deterministic, no network: a logistic regression over two kinds of features, with weights
 * learned from labelled community messages by bin/train-question-classifier.ts
 * (`npm run train:classifier`) and read from question-weights.json (the hashed weights as one
 * base64 string of zigzag varints: see decodeHashedWeights).
 *
 * - Hand-written features (HAND_FEATURES): a question mark outside code and links, an
 *   interrogative opening, help-seeking phrases, an error in code or prose, thanks,
 *   announcements, answer-like openings or a solved problem, banter, a very short message.
 * - Hashed n-grams of the prose (code blocks and links left out, inline code read as the word
 *   `code`, a full-width "？" as "?"): lower-cased words, word pairs, the first word and first
 *   two words of each sentence (after a greeting such as "hey all, quick one:"), and character
 *   3-grams, each set scaled to unit length and hashed into HASH_BUCKETS buckets.
 *
 * The training script picks its threshold by cross-validation on the training split and folds
 * it into the bias, so a score of 0.5 is that threshold: the config default 0.5 is the learned
 * one. `reasons` names each hand-written feature that fired and the n-grams that moved the score
 * most, with their learned weights.
 *
 * Input is plain text: run Slack mrkdwn through `slackTextToPlain` first.
 */
import MODEL from "./question-weights.json" with { type: "json" };

export interface QuestionScore {
  /** 0..1, rounded to two decimals so equal texts compare equal everywhere. */
  score: number;
  /** Every feature that moved the score, with its weight, in the order they were checked. */
  reasons: string[];
}

/** The hand-written features, in the order of the feature vector. */
export const HAND_FEATURES = [
  "questionMark",
  "interrogativeOpening",
  "helpPhrase",
  "secondHelpPhrase",
  "errorInCode",
  "errorInProse",
  "gratitude",
  "announcement",
  "answerOrResolution",
  "banter",
  "veryShort",
] as const;
export type HandFeature = (typeof HAND_FEATURES)[number];

/** Hashed n-grams fall into this many buckets (a power of two). */
export const HASH_BUCKETS = 1 << 14;

/** The learned weight of each hand-written feature (question-weights.json). */
export const QUESTION_WEIGHTS: Readonly<Record<HandFeature, number>> = Object.freeze(
  Object.fromEntries(HAND_FEATURES.map((name) => [name, (MODEL.hand as Record<string, number>)[name] ?? 0])) as Record<HandFeature, number>,
);

const INTERROGATIVE_OPENINGS = [
  "how", "what", "what's", "whats", "why", "when", "where", "which", "who", "whom", "whose",
  "is", "isn't", "are", "aren't", "am", "was", "were", "can", "can't", "could", "does", "doesn't",
  "do", "don't", "did", "should", "would", "will", "won't", "has", "have", "had", "may", "might",
  "shall", "anyone", "anybody", "someone", "somebody",
];
const OPENING_PHRASES = ["any idea", "any ideas", "is there", "are there"];

/** Phrases people use when they need help, with or without a question mark. */
const HELP_PHRASES: RegExp[] = [
  /\b(?:does|do|has|have|did) (?:any|some)(?:one|body)\b/,
  /\b(?:any|some)(?:one|body) (?:know|knows|else|tried|seen|familiar|using|got|have|has|run into|ran into|able)\b/,
  /\bi(?:'m| am|m) trying to\b/,
  /\btrying to (?:figure|understand|get|make|set ?up|connect|run|use|configure|migrate)\b/,
  /\b(?:getting|get|got|keep getting|seeing|see) (?:an?|this|the|that|these|same|weird|strange) (?:error|exception|warning|crash|failure)s?\b/,
  /\b(?:doesn't|does not|don't|do not|isn't|is not|aren't|not|stopped|won't) work(?:ing)?\b/,
  /\b(?:can't|cannot|can not|couldn't|could not) (?:get|seem|figure|find|make|connect|understand|see)\b/,
  /(?<!\b(?:happy|glad|here|able|love|pleased) to )\bhelp\b(?! (?:wanted|channel))/,
  /\bstuck\b/,
  /\bany (?:idea|ideas|tips|pointers|advice|suggestions|recommendations|hints|clue|way to|chance|insight|thoughts on)\b/,
  /\bis (?:it|there a way|this) (?:possible|expected|a bug|normal|supported)\b/,
  /\bis there a way\b/,
  /\bhow (?:to|do i|can i|should i|would i|do we|can we|should we|would you)\b/,
  /\b(?:what's|what is) the (?:best|right|recommended|correct|proper|preferred) (?:way|approach|practice)\b/,
  /\bbest (?:way|practice|practices|approach) (?:to|for)\b/,
  /\b(?:wondering|wonder) (?:if|whether|how|why|what)\b/,
  /\bnot sure (?:how|if|why|whether|what|where)\b/,
  /\b(?:what am i|am i) (?:missing|doing wrong)\b/,
  /\bdoing something wrong\b/,
  /\bunable to\b/,
  /\bno luck\b/,
  /\bkeeps? (?:failing|crashing|timing out|dying|restarting|getting)\b/,
  /\b(?:i'm|im|i am|we're|we are) (?:seeing|getting|hitting|running into)\b/,
  /\b(?:should i|do i need|do we need|need to know)\b/,
  /\b(?:need|could use|looking for) (?:some )?(?:help|advice|guidance|pointers)\b/,
  /\b(?:thanks|thx|ty) in advance\b|\btia\b/,
  /\b(?:confused about|don't understand|do not understand)\b/,
  /\bwhy (?:does|is|do|would|am|are|did|isn't|doesn't|won't)\b/,
];

const ERROR_WORDS =
  /\b(?:error|errors|err|exception|traceback|stack ?trace|failed|fails|failing|failure|fatal|panic|panicked|crash|crashed|crashes|crashing|segfault|sigsegv|timeout|timed out|refused|denied|oom|out of memory|corrupt|corrupted|deadlock|deadlocked|unexpected|invalid|cannot|can't|couldn't|unable)\b/;

/** Markers of posts that tell rather than ask; only counted outside question sentences. */
const ANNOUNCEMENT: RegExp[] = [
  /\bfyi\b/, /\bpsa\b/, /\bheads[- ]up\b/, /\bannounc(?:e|ing|ement)\b/,
  /\bwe(?:'ve| have)? (?:just )?(?:released|shipped|published|launched|tagged)\b/, /\bjust (?:released|shipped|published|landed|launched)\b/,
  /\bis (?:now )?out\b(?! of)/, /\bnow available\b/, /\bis (?:now )?live\b/, /\brelease notes\b/, /\breminder\b/,
  /\bjoin us\b/, /\bwe(?:'re| are) hiring\b/, /\bwebinar\b/, /\blivestream\b/, /\boffice hours\b/, /\bnew blog post\b/,
  /\bwrote (?:a|up)\b/, /\bcheck (?:it )?out\b/, /:tada:|🎉|📣|:mega:|:loudspeaker:/, /\bshout-?out\b/,
  /\bplanned maintenance\b/, /\btil\b/,
];

const GRATITUDE = /\b(?:thanks|thank you|thank u|thx|tysm|ty|cheers|much appreciated|appreciate it|kudos)\b/;

/**
 * Openings of answers, and phrases that report a problem as solved. The openings are two
 * patterns tried in turn (none of the first starts like the second), so that each is small
 * enough for recheck's automaton checker to prove linear (test/unit/security/redos.test.ts).
 */
const ANSWER_OPENINGS: RegExp[] = [
  /^(?:you can|you could|you need|you'll need|you should|you have to|you want|try |have you tried|it's because|that's because|this is because|the fix is|the trick is|the reason is|use |set |make sure|yes\b|yep\b|yeah\b|no,|nope\b|correct\b|exactly\b|right,|same here|\+1|this is fixed|fixed in|that should|it should)/,
  /^in \d+(?:\.\d+)* (?:you|it|this)/,
];
const RESOLVED =
  /\b(?:that worked|it worked|works now|working now|fixed it|solved it|got it working|figured it out|never ?mind|nvm|all good now|resolved now)\b/;

const BANTER: RegExp[] = [
  /\bguess what\b/, /\bwho knew\b/, /\bwho would have thought\b/, /^what an? /, /\bhow (?:cool|awesome|great|amazing) is\b/,
  /\bisn't (?:it|that) (?:great|awesome|cool|amazing)\b/, /\?!|!\?/, /\b(?:lol|lmao|rofl|haha+|hehe)\b/,
  /\bhappy (?:monday|tuesday|wednesday|thursday|friday|weekend|holidays|new year)\b/, /^(?:good morning|gm|morning all)\b/,
  /\bcongrat(?:s|ulations)\b/, /\bwelcome\b/, /\bexcited\b/, /\bcan't wait\b/, /\bam i right\b/,
];

/**
 * Greetings and mentions in front of the real first words ("hi all, quick question:"): any run
 * of these pieces, each tried in this order where the last one ended (sticky), a greeting or a
 * "quick question" with the separators after it. Together they are the old single pattern
 * `^(?:a[,!.:\s-]*|b[,!.:\s-]*|c|d)+`: nothing follows the run, so the first piece that matches,
 * as far as it reaches, is what a backtracking engine keeps, which is what this loop does. Apart,
 * each pattern is small enough for recheck's automaton checker to prove linear in a moment.
 */
const LEAD_IN_SEPARATORS = /[,!.:\s-]*/y;
const LEAD_IN: ReadonlyArray<readonly [piece: RegExp, separators: RegExp | null]> = [
  [/(?:hi|hey|hello|yo|morning|good (?:morning|afternoon|evening)|greetings)(?: (?:all|everyone|folks|team|there|guys|y'all|people|friends))?\b/y, LEAD_IN_SEPARATORS],
  [/(?:quick|small|dumb|silly|stupid|newbie|noob|another) (?:question|one|q)\b/y, LEAD_IN_SEPARATORS],
  [/@[\w.-]+[,:\s]*/y, null],
  [/(?:so|ok|okay|um|hmm|folks|all)[,!\s]+/y, null],
];

/** Where a sticky pattern that matches at `at` ends, or -1. */
function endOfMatch(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  return re.test(text) ? re.lastIndex : -1;
}

/** `sentence` without its lead-in (see LEAD_IN). */
function withoutLeadIn(sentence: string): string {
  let at = 0;
  for (;;) {
    let next = -1;
    for (const [piece, separators] of LEAD_IN) {
      next = endOfMatch(piece, sentence, at);
      if (next < 0) continue;
      if (separators) next = endOfMatch(separators, sentence, next);
      break;
    }
    // Every piece matches at least one character, so the loop always moves on.
    if (next <= at) return sentence.slice(at);
    at = next;
  }
}

/**
 * Stack frames pasted without a fence (Java, Python, Go, Node); each line is tried against
 * each, anchored at its start.
 */
const STACK_FRAME: RegExp[] = [
  /^\s*at [\w$.<>]+[(\s]/,
  /^\s*File ".*", line \d+/,
  /^\s*(?:goroutine \d+|Traceback \(most recent call last\)|Caused by:)/,
  /^\s*\w+(?:\.\w+)+(?:Exception|Error):/,
];

const URL = /\b(?:https?:\/\/|www\.)\S+/g;
const EMOJI_CODE = /:[a-z0-9_+'-]+:/g;
const PICTOGRAPH = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u{FE0F}\u{200D}]/gu;

interface Parts {
  prose: string;
  code: string;
  hadUrl: boolean;
  hadEmoji: boolean;
}

/** Split code (fenced, inline, stack-trace lines) from prose, and drop URLs from the prose. */
function split(text: string): Parts {
  const codeParts: string[] = [];
  let rest = text.replace(/```([\s\S]*?)(?:```|$)/g, (_m, body: string) => {
    codeParts.push(body);
    return "\n";
  });
  rest = rest.replace(/`([^`\n]+)`/g, (_m, body: string) => {
    codeParts.push(body);
    return " code ";
  });
  const proseLines: string[] = [];
  for (const line of rest.split("\n")) {
    // Stack frames pasted without a fence are code too (Java, Python, Go, Node).
    if (STACK_FRAME.some((frame) => frame.test(line))) {
      codeParts.push(line);
    } else {
      proseLines.push(line);
    }
  }
  const joined = proseLines.join("\n");
  const hadUrl = URL.test(joined);
  URL.lastIndex = 0;
  const hadEmoji = EMOJI_CODE.test(joined) || PICTOGRAPH.test(joined);
  EMOJI_CODE.lastIndex = 0;
  PICTOGRAPH.lastIndex = 0;
  return { prose: joined.replace(URL, " "), code: codeParts.join("\n"), hadUrl, hadEmoji };
}

function sentencesOf(prose: string): string[] {
  return (prose.match(/[^.!?\n]+[.!?]*|[.!?]+/g) ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
}

function wordsOf(text: string): string[] {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu) ?? [];
}

/** `wordsOf(text)[0]`, without splitting the whole text into words. */
function firstWordOf(text: string): string | undefined {
  return /[\p{L}\p{N}][\p{L}\p{N}'_-]*/u.exec(text)?.[0];
}

/** FNV-1a over the UTF-16 code units of `key`, as an unsigned 32-bit number. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The bucket an n-gram key (namespace prefix included, e.g. `w:help`) is hashed into. */
export function bucketOf(key: string): number {
  return hashKey(key) & (HASH_BUCKETS - 1);
}

/** What `scoreQuestion` weighs: the hand-written features and the n-grams of one message. */
export interface QuestionFeatures {
  /**
   * Set when there is nothing to weigh (no words and no code): the score is 0 and this is the
   * only reason ("only links", "only emoji", "no words").
   */
  empty?: string;
  /** 1 or 0 for each entry of HAND_FEATURES, in that order. */
  hand: number[];
  /** Why each hand-written feature fired (what matched), or undefined when it did not. */
  why: (string | undefined)[];
  /**
   * Each n-gram with its value: keys are namespaced (`w:` word, `b:` word pair, `s:` sentence
   * opening, `c:` character 3-gram), and each namespace's values form a unit vector.
   */
  grams: Map<string, number>;
}

const HAND_INDEX = Object.fromEntries(HAND_FEATURES.map((name, i) => [name, i])) as Record<HandFeature, number>;

/** Adds one namespace of n-grams, each present one weighted 1/sqrt(how many there are). */
function addNamespace(grams: Map<string, number>, keys: Set<string>): void {
  if (keys.size === 0) return;
  const value = 1 / Math.sqrt(keys.size);
  for (const key of keys) grams.set(key, value);
}

/** The n-grams of lower-cased prose (see QuestionFeatures.grams). */
function ngrams(lower: string, words: string[], sentences: string[]): Map<string, number> {
  const grams = new Map<string, number>();
  const unigrams = new Set<string>();
  const bigrams = new Set<string>();
  for (let i = 0; i < words.length; i += 1) {
    unigrams.add(`w:${words[i]}`);
    if (i > 0) bigrams.add(`b:${words[i - 1]} ${words[i]}`);
  }
  const openings = new Set<string>();
  for (const sentence of sentences) {
    const [first, second] = wordsOf(withoutLeadIn(sentence).slice(0, 200));
    if (first === undefined) continue;
    openings.add(`s:${first}`);
    if (second !== undefined) openings.add(`s:${first} ${second}`);
  }
  const chars = new Set<string>();
  const points = Array.from(` ${lower.replace(/\s+/g, " ").trim()} `);
  for (let i = 0; i + 3 <= points.length; i += 1) chars.add(`c:${points[i]}${points[i + 1]}${points[i + 2]}`);
  addNamespace(grams, unigrams);
  addNamespace(grams, bigrams);
  addNamespace(grams, openings);
  addNamespace(grams, chars);
  return grams;
}

/** The features of one message (its hand-written features and n-grams); see QuestionFeatures. */
export function questionFeatures(text: string): QuestionFeatures {
  const hand = HAND_FEATURES.map(() => 0);
  const why: (string | undefined)[] = HAND_FEATURES.map(() => undefined);
  const normalised = text
    .replace(/[\u2018\u2019\u02BC]/g, "'")
    .replace(/[\u201C\u201D]/g, '"')
    .replace(/\uFF1F/g, "?");
  const { prose, code, hadUrl, hadEmoji } = split(normalised);
  const lower = prose.toLowerCase();
  const words = wordsOf(lower.replace(EMOJI_CODE, " "));

  if (words.length === 0 && code.trim().length === 0) {
    const empty = hadUrl ? "only links" : hadEmoji ? "only emoji" : "no words";
    return { empty, hand, why, grams: new Map() };
  }

  const set = (feature: HandFeature, reason: string) => {
    hand[HAND_INDEX[feature]] = 1;
    why[HAND_INDEX[feature]] = reason;
  };

  const sentences = sentencesOf(lower);
  const asking = sentences.filter((s) => s.endsWith("?"));
  const telling = sentences.filter((s) => !s.endsWith("?")).join(" \n ");

  if (lower.includes("?")) set("questionMark", "question mark");

  const opening = sentences
    .map(withoutLeadIn)
    .map((s) => {
      const first = firstWordOf(s);
      return OPENING_PHRASES.find((p) => s.startsWith(`${p} `) || s === p) ?? INTERROGATIVE_OPENINGS.find((w) => first === w);
    })
    .find((w) => w !== undefined);
  if (opening) set("interrogativeOpening", `opens with "${opening}"`);

  const help = HELP_PHRASES.map((re) => re.exec(lower)?.[0]).filter((m): m is string => m !== undefined);
  if (help[0] !== undefined) set("helpPhrase", `asks for help: "${help[0]}"`);
  if (help[1] !== undefined) set("secondHelpPhrase", `asks for help again: "${help[1]}"`);

  if (ERROR_WORDS.test(code.toLowerCase())) set("errorInCode", "code or stack trace with an error");
  else if (ERROR_WORDS.test(lower)) set("errorInProse", "describes an error or failure");

  // Telling markers inside a sentence that itself asks ("is the ARM build now available?") say nothing.
  const announcement = ANNOUNCEMENT.map((re) => re.exec(telling)?.[0]).find((m) => m !== undefined);
  if (announcement) set("announcement", `announces: "${announcement}"`);

  const thanks = GRATITUDE.exec(telling.replace(/\b(?:thanks|thx|ty) in advance\b/g, ""))?.[0];
  if (thanks) set("gratitude", `thanks: "${thanks}"`);

  const firstSentence = withoutLeadIn(sentences[0] ?? "");
  const answerOpening = asking.includes(sentences[0] ?? "")
    ? undefined
    : ANSWER_OPENINGS.map((re) => re.exec(firstSentence)?.[0]).find((m) => m !== undefined);
  const resolved = RESOLVED.exec(telling)?.[0];
  if (answerOpening || resolved) set("answerOrResolution", `reads as an answer: "${(answerOpening ?? resolved ?? "").trim()}"`);

  const banter = BANTER.map((re) => re.exec(lower)?.[0]).find((m) => m !== undefined);
  if (banter) set("banter", `banter or rhetoric: "${banter}"`);

  if (words.length <= 3 && help.length === 0 && code.trim().length === 0) set("veryShort", "very short");

  return { hand, why, grams: ngrams(lower, words, sentences) };
}

/** The learned model: bias, hand-written weights, and the hashed weights by bucket. */
interface Model {
  bias: number;
  hand: number[];
  hashed: Float64Array;
}

/** Each byte of a varint carries 7 bits; a signed 32-bit number zigzagged needs at most 5 bytes. */
const VARINT_MAX_BYTES = 5;

/**
 * The hashed weights of question-weights.json (`hashed`), in units of 1e-4, one per bucket.
 *
 * Encoding (written by bin/train-question-classifier.ts `encodeHashedWeights`): one signed
 * integer per bucket, in bucket order, 0 where no weight was kept; each zigzag-mapped to an
 * unsigned one (0, -1, 1, -2, 2 … become 0, 1, 2, 3, 4 …) and written as a little-endian base-128
 * varint (the low 7 bits first, the high bit of each byte set when another byte follows); the
 * bytes as one standard base64 string with padding. About 41 kB where JSON arrays of gaps and
 * weights took 98 kB of the normaliser's bundle. Throws on anything but exactly `buckets` values.
 */
export function decodeHashedWeights(encoded: string, buckets: number): Int32Array {
  const bytes = Buffer.from(encoded, "base64");
  // Buffer skips characters outside the alphabet: insist on the canonical form it would write.
  if (bytes.toString("base64") !== encoded) {
    throw new Error("question-weights.json: hashed is not canonical base64 (retrain with npm run train:classifier)");
  }
  const units = new Int32Array(buckets);
  let at = 0;
  for (let bucket = 0; bucket < buckets; bucket += 1) {
    let value = 0;
    let scale = 1;
    for (let length = 1; ; length += 1) {
      if (at >= bytes.length) {
        throw new Error(`question-weights.json: hashed ends after ${bucket} of ${buckets} weights (truncated or the wrong bucket count: retrain)`);
      }
      const byte = bytes[at]!;
      at += 1;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      if (length === VARINT_MAX_BYTES) throw new Error(`question-weights.json: hashed weight ${bucket} is longer than ${VARINT_MAX_BYTES} bytes (malformed: retrain)`);
      scale *= 0x80;
    }
    if (value > 0xffff_ffff) throw new Error(`question-weights.json: hashed weight ${bucket} is out of range (malformed: retrain)`);
    units[bucket] = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }
  if (at !== bytes.length) {
    throw new Error(`question-weights.json: hashed holds more than ${buckets} weights (${bytes.length - at} bytes left over: wrong bucket count, retrain)`);
  }
  return units;
}

function loadModel(): Model {
  const file = MODEL as { bias: number; buckets: number; hand: Record<string, number>; hashed: unknown };
  if (file.buckets !== HASH_BUCKETS) throw new Error(`question-weights.json has ${file.buckets} buckets, the scorer ${HASH_BUCKETS}: retrain`);
  if (typeof file.hashed !== "string") throw new Error("question-weights.json: hashed is not a base64 string (an older format?): retrain with npm run train:classifier");
  const units = decodeHashedWeights(file.hashed, HASH_BUCKETS);
  const hashed = new Float64Array(HASH_BUCKETS);
  for (let bucket = 0; bucket < HASH_BUCKETS; bucket += 1) hashed[bucket] = units[bucket]! / 10_000;
  return { bias: file.bias, hand: HAND_FEATURES.map((name) => file.hand[name] ?? 0), hashed };
}

const LOADED = loadModel();

function round(n: number): number {
  return Math.round(Math.min(1, Math.max(0, n)) * 100) / 100;
}

function signed(weight: number): string {
  return weight >= 0 ? `+${weight}` : String(weight);
}

/** The n-grams named in `reasons`, strongest first. */
const NAMED_NGRAMS = 3;
const NGRAM_KINDS: Record<string, string> = { "w:": "word", "b:": "words", "s:": "opening", "c:": "3-gram" };

export function scoreQuestion(text: string): QuestionScore {
  const features = questionFeatures(text);
  if (features.empty !== undefined) return { score: 0, reasons: [features.empty] };

  const reasons: string[] = [];
  let z = LOADED.bias;
  features.hand.forEach((x, i) => {
    if (x === 0) return;
    const weight = LOADED.hand[i]!;
    z += weight * x;
    reasons.push(`${features.why[i]} (${signed(weight)})`);
  });

  let fromNgrams = 0;
  const strongest: { key: string; contribution: number }[] = [];
  for (const [key, value] of features.grams) {
    const contribution = LOADED.hashed[bucketOf(key)]! * value;
    if (contribution === 0) continue;
    fromNgrams += contribution;
    strongest.push({ key, contribution });
    if (strongest.length > NAMED_NGRAMS * 8) {
      strongest.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.key < b.key ? -1 : 1));
      strongest.length = NAMED_NGRAMS;
    }
  }
  z += fromNgrams;
  if (strongest.length > 0) {
    strongest.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.key < b.key ? -1 : 1));
    const named = strongest
      .slice(0, NAMED_NGRAMS)
      .map(({ key, contribution }) => `${NGRAM_KINDS[key.slice(0, 2)] ?? "n-gram"} "${key.slice(2)}" ${signed(Math.round(contribution * 100) / 100)}`);
    reasons.push(`n-grams (${signed(Math.round(fromNgrams * 100) / 100)}), most: ${named.join(", ")}`);
  }

  if (reasons.length === 0) reasons.push("no question features");
  return { score: round(1 / (1 + Math.exp(-z))), reasons };
}
