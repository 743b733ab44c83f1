/**
 * Does a chat message ask for something? Slack has no "question" type, so a top-level message
 * opens a question thread when this score reaches `questionThreshold` (default 0.5).
 *
 * Deterministic, no network, no model: a sum of weighted features, clamped to 0..1, each one
 * named in `reasons` so a surprising verdict can be explained. The weights were set from what
 * a question in a developer chat looks like before any labelled data existed (a question mark
 * or an interrogative opening is strong evidence, a help-seeking phrase nearly as strong, an
 * error paste supports them; thanks, announcements, answers and banter count against), and
 * were not fitted to the labelled set that measures them (test/fixtures/slack/labelled-messages.jsonl).
 *
 * Input is plain text: run Slack mrkdwn through `slackTextToPlain` first.
 */

export interface QuestionScore {
  /** 0..1, rounded to two decimals so equal texts compare equal everywhere. */
  score: number;
  /** Every feature that moved the score, with its weight, in the order they were checked. */
  reasons: string[];
}

/** The weight of each feature; positive ones sum towards "asks", negative ones away from it. */
export const QUESTION_WEIGHTS = {
  questionMark: 0.5,
  interrogativeOpening: 0.3,
  helpPhrase: 0.35,
  secondHelpPhrase: 0.15,
  errorInCode: 0.25,
  errorInProse: 0.15,
  gratitude: -0.35,
  announcement: -0.4,
  answerOrResolution: -0.3,
  banter: -0.35,
  veryShort: -0.25,
} as const;

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
  [/(?:hi|hey|hello|yo|morning|good (?:morning|afternoon|evening)|greetings)(?: (?:all|everyone|folks|team|there|guys|y'all|people|friends))?/y, LEAD_IN_SEPARATORS],
  [/(?:quick|small|dumb|silly|stupid|newbie|noob|another) question/y, LEAD_IN_SEPARATORS],
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

function round(n: number): number {
  return Math.round(Math.min(1, Math.max(0, n)) * 100) / 100;
}

function signed(weight: number): string {
  return weight >= 0 ? `+${weight}` : String(weight);
}

export function scoreQuestion(text: string): QuestionScore {
  const reasons: string[] = [];
  const normalised = text.replace(/[\u2018\u2019\u02BC]/g, "'").replace(/[\u201C\u201D]/g, '"');
  const { prose, code, hadUrl, hadEmoji } = split(normalised);
  const lower = prose.toLowerCase();
  const words = wordsOf(lower.replace(EMOJI_CODE, " "));

  if (words.length === 0 && code.trim().length === 0) {
    if (hadUrl) return { score: 0, reasons: ["only links"] };
    if (hadEmoji) return { score: 0, reasons: ["only emoji"] };
    return { score: 0, reasons: ["no words"] };
  }

  let score = 0;
  const add = (weight: number, why: string) => {
    score += weight;
    reasons.push(`${why} (${signed(weight)})`);
  };

  const sentences = sentencesOf(lower);
  const asking = sentences.filter((s) => s.endsWith("?"));
  const telling = sentences.filter((s) => !s.endsWith("?")).join(" \n ");

  if (lower.includes("?")) add(QUESTION_WEIGHTS.questionMark, "question mark");

  const opening = sentences
    .map(withoutLeadIn)
    .map((s) => {
      const first = firstWordOf(s);
      return OPENING_PHRASES.find((p) => s.startsWith(`${p} `) || s === p) ?? INTERROGATIVE_OPENINGS.find((w) => first === w);
    })
    .find((w) => w !== undefined);
  if (opening) add(QUESTION_WEIGHTS.interrogativeOpening, `opens with "${opening}"`);

  const help = HELP_PHRASES.map((re) => re.exec(lower)?.[0]).filter((m): m is string => m !== undefined);
  if (help[0] !== undefined) add(QUESTION_WEIGHTS.helpPhrase, `asks for help: "${help[0]}"`);
  if (help[1] !== undefined) add(QUESTION_WEIGHTS.secondHelpPhrase, `asks for help again: "${help[1]}"`);

  if (ERROR_WORDS.test(code.toLowerCase())) add(QUESTION_WEIGHTS.errorInCode, "code or stack trace with an error");
  else if (ERROR_WORDS.test(lower)) add(QUESTION_WEIGHTS.errorInProse, "describes an error or failure");

  // Telling markers inside a sentence that itself asks ("is the ARM build now available?") say nothing.
  const announcement = ANNOUNCEMENT.map((re) => re.exec(telling)?.[0]).find((m) => m !== undefined);
  if (announcement) add(QUESTION_WEIGHTS.announcement, `announces: "${announcement}"`);

  const thanks = GRATITUDE.exec(telling.replace(/\b(?:thanks|thx|ty) in advance\b/g, ""))?.[0];
  if (thanks) add(QUESTION_WEIGHTS.gratitude, `thanks: "${thanks}"`);

  const firstSentence = withoutLeadIn(sentences[0] ?? "");
  const answerOpening = asking.includes(sentences[0] ?? "")
    ? undefined
    : ANSWER_OPENINGS.map((re) => re.exec(firstSentence)?.[0]).find((m) => m !== undefined);
  const resolved = RESOLVED.exec(telling)?.[0];
  if (answerOpening || resolved) add(QUESTION_WEIGHTS.answerOrResolution, `reads as an answer: "${(answerOpening ?? resolved ?? "").trim()}"`);

  const banter = BANTER.map((re) => re.exec(lower)?.[0]).find((m) => m !== undefined);
  if (banter) add(QUESTION_WEIGHTS.banter, `banter or rhetoric: "${banter}"`);

  if (words.length <= 3 && help.length === 0 && code.trim().length === 0) add(QUESTION_WEIGHTS.veryShort, "very short");

  if (reasons.length === 0) reasons.push("no question features");
  return { score: round(score), reasons };
}
